package dev.meridian.inference.usage.service;

import dev.meridian.inference.service.InferenceException;
import dev.meridian.inference.usage.repository.UsageRepository;

import java.util.ArrayList;
import java.util.List;

/**
 * A usage report's parameters, checked as OpenAI's usage API takes them: {@code start_time} (unix seconds, required),
 * {@code end_time} (exclusive, default now), {@code bucket_width} {@code 1m|1h|1d} (default 1d), {@code limit} buckets
 * (default 60/24/7, at most 1440/168/31), {@code group_by} fields, {@code page} (the {@code next_page} of the previous
 * answer: the start of its next bucket).
 */
public record UsageQuery(long start, long end, long width, int limit, List<String> groups) {

    /**
     * @param groupable the fields this caller may group by
     * @param now       unix seconds, the default end
     */
    public static UsageQuery of(Long startTime, Long endTime, String bucketWidth, Integer limit, List<String> groupBy,
                                String page, List<String> groupable, long now) {
        if (startTime == null) {
            throw InferenceException.invalid("start_time", "missing_parameter", "'start_time' (unix seconds) is required");
        }
        if (startTime < 0) {
            throw InferenceException.invalid("start_time", "invalid_value", "'start_time' must be unix seconds");
        }
        long end = endTime == null ? now + 1 : endTime;
        if (end <= startTime) {
            throw InferenceException.invalid("end_time", "invalid_value", "'end_time' must be after 'start_time'");
        }
        long width;
        int defaultLimit;
        int maxLimit;
        switch (bucketWidth == null ? "1d" : bucketWidth) {
            case "1m" -> { width = 60; defaultLimit = 60; maxLimit = 1440; }
            case "1h" -> { width = 3600; defaultLimit = 24; maxLimit = 168; }
            case "1d" -> { width = 86400; defaultLimit = 7; maxLimit = 31; }
            default -> throw InferenceException.invalid("bucket_width", "invalid_value",
                    "'bucket_width' must be 1m, 1h or 1d");
        }
        int buckets = limit == null ? defaultLimit : limit;
        if (buckets < 1 || buckets > maxLimit) {
            throw InferenceException.invalid("limit", "invalid_value", "'limit' must be between 1 and " + maxLimit
                    + " for bucket_width " + (bucketWidth == null ? "1d" : bucketWidth));
        }
        List<String> groups = new ArrayList<>();
        for (String field : groupBy) {
            for (String name : field.split(",")) {
                String group = name.trim();
                if (!groupable.contains(group)) {
                    throw InferenceException.invalid("group_by", "invalid_value", "'group_by' takes "
                            + String.join(", ", groupable) + "; got '" + group + "'");
                }
                if (!groups.contains(group)) {
                    groups.add(group);
                }
            }
        }
        long first = startTime;
        if (page != null) {
            long cursor;
            try {
                cursor = Long.parseLong(page);
            } catch (NumberFormatException e) {
                cursor = -1;
            }
            if (cursor < startTime || (cursor - startTime) % width != 0 || cursor >= end) {
                throw InferenceException.invalid("page", "invalid_value",
                        "'page' must be the next_page of a previous answer to the same query");
            }
            first = cursor;
        }
        return new UsageQuery(first, end, width, buckets, List.copyOf(groups));
    }

    /** Where the buckets of this page stop: after {@code limit} of them, or at the end. */
    public long pageEnd() {
        return Math.min(end, start + width * limit);
    }

    public boolean hasMore() {
        return start + width * limit < end;
    }

    /** Fields a user may group their own usage by; admins may add {@code user_id}. */
    public static final List<String> USER_GROUPS = UsageRepository.GROUPS.subList(0, 3);
}
