package dev.meridian.user.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.meridian.user.service.TokenService;

/** Bodies of /v1/auth (the OAuth2 token endpoint). Unknown request fields are rejected (400 naming the field). */
public final class AuthDtos {

    private AuthDtos() {
    }

    /** JSON form of a token request: either {email, password} or the OAuth2 parameters. */
    public record TokenRequest(String email, String password, @JsonProperty("grant_type") String grantType,
                               String username, @JsonProperty("refresh_token") String refreshToken,
                               @JsonProperty("api_key") String apiKey) {
    }

    public record RefreshRequest(@JsonProperty("refresh_token") String refreshToken) {
    }

    /** RFC 6749 section 5.1. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TokenResponse(@JsonProperty("access_token") String accessToken,
                                @JsonProperty("token_type") String tokenType,
                                @JsonProperty("expires_in") long expiresIn,
                                @JsonProperty("refresh_token") String refreshToken) {
        static TokenResponse of(TokenService.TokenPair pair) {
            return new TokenResponse(pair.accessToken(), "Bearer", pair.expiresIn(), pair.refreshToken());
        }
    }
}
