package dev.reservoir.operator.status;

/**
 * Something the operator cannot fix by itself, surfaced as the Degraded condition and a Warning
 * event. {@code reason} is a CamelCase word (the event and condition reason); the message names
 * the field or object and what to do.
 */
public record Problem(String reason, String message) {
    public static final String INVALID_SPEC = "InvalidSpec";
    public static final String SECRET_UNREADABLE = "SecretUnreadable";
    public static final String REDIS_UNREACHABLE = "RedisUnreachable";
    public static final String IMAGE_PULL_FAILED = "ImagePullFailed";
    public static final String POD_CREATE_FAILED = "PodCreateFailed";
    public static final String WORKERS_CRASHING = "WorkersCrashing";
}
