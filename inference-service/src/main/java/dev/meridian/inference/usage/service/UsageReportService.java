package dev.meridian.inference.usage.service;

import dev.meridian.inference.service.DatabaseDeadline;
import dev.meridian.inference.usage.repository.UsageRepository;
import dev.meridian.inference.usage.rest.UsageDtos.Bucket;
import dev.meridian.inference.usage.rest.UsageDtos.Page;
import dev.meridian.inference.usage.rest.UsageDtos.Result;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Usage reports in buckets of time, every bucket of the page present (empty ones with no results). */
@ApplicationScoped
public class UsageReportService {

    static final String RESULT = "organization.usage.embeddings.result";

    private final UsageRepository usage;
    private final DatabaseDeadline database;

    public UsageReportService(UsageRepository usage, DatabaseDeadline database) {
        this.usage = usage;
        this.database = database;
    }

    /** @param users whose usage: one user, the named ones, or everyone's (null) */
    public Uni<Page> report(UsageQuery query, List<UUID> users) {
        return database.bounded(usage.totals(query.start(), query.pageEnd(), query.width(), query.groups(), users))
                .map(totals -> {
                    int buckets = (int) ((query.pageEnd() - query.start() + query.width() - 1) / query.width());
                    List<List<Result>> results = new ArrayList<>();
                    for (int i = 0; i < buckets; i++) {
                        results.add(new ArrayList<>());
                    }
                    for (UsageRepository.Total total : totals) {
                        results.get((int) total.bucket()).add(new Result(RESULT, total.inputTokens(), total.requests(),
                                null, total.userId(), total.apiKeyId(), total.model(), total.endpoint()));
                    }
                    List<Bucket> data = new ArrayList<>();
                    for (int i = 0; i < buckets; i++) {
                        long start = query.start() + i * query.width();
                        data.add(new Bucket("bucket", start, start + query.width(), results.get(i)));
                    }
                    return new Page("page", data, query.hasMore(),
                            query.hasMore() ? Long.toString(query.pageEnd()) : null);
                });
    }
}
