package dev.meridian.user.service;

/** The password rules; a violation names the rule broken (422). */
final class PasswordPolicy {

    static final int MIN_LENGTH = 12;
    static final int MAX_LENGTH = 128;

    private PasswordPolicy() {
    }

    static void check(String password, String normalisedEmail, String field) {
        if (password == null || password.length() < MIN_LENGTH) {
            throw new ServiceException(ServiceException.Kind.INVALID,
                    "password-too-short: a password needs at least " + MIN_LENGTH + " characters", field);
        }
        if (password.length() > MAX_LENGTH) {
            throw new ServiceException(ServiceException.Kind.INVALID,
                    "password-too-long: a password has at most " + MAX_LENGTH + " characters", field);
        }
        if (normalisedEmail != null && password.trim().equalsIgnoreCase(normalisedEmail)) {
            throw new ServiceException(ServiceException.Kind.INVALID,
                    "password-equals-email: the password must not be the email address", field);
        }
    }
}
