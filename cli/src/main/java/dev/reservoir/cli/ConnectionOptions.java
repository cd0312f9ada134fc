package dev.reservoir.cli;

import dev.reservoir.client.ClientOptions;
import dev.reservoir.client.Reservoir;
import picocli.CommandLine.Option;

/** --redis and --pool, shared by every command that talks to a running pool. */
public final class ConnectionOptions {
    @Option(names = "--redis", paramLabel = "URL", defaultValue = "${env:RESERVOIR_REDIS_URL:-redis://127.0.0.1:6379}",
            description = "Redis of the pool (default: $RESERVOIR_REDIS_URL or ${DEFAULT-VALUE}). The password may come apart in"
                    + " $RESERVOIR_REDIS_PASSWORD.")
    String redisUrl;

    @Option(names = {"-p", "--pool"}, paramLabel = "NAME", defaultValue = "${env:RESERVOIR_POOL:-default}",
            description = "Pool name (default: $RESERVOIR_POOL or ${DEFAULT-VALUE}).")
    String pool;

    Reservoir connect() {
        return Reservoir.connect(redisUrl, ClientOptions.defaults().withPassword(System.getenv("RESERVOIR_REDIS_PASSWORD")));
    }
}
