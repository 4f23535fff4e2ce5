package dev.meridian.local.infra;

/** An embedded infrastructure server: {@link #start()} returns only once the server really answers. */
public interface LocalServer extends AutoCloseable {

    String name();

    int port();

    /** Connection address as the services configure it, e.g. {@code redis://127.0.0.1:16379}. */
    String address();

    void start() throws Exception;

    /** Process id of the server, so a launcher can find it again; -1 when not running. */
    long pid();

    /** True when the server answers a real request (query, PING, metadata request). */
    boolean isReady();

    @Override
    void close();
}
