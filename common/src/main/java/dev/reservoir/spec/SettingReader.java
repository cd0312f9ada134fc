package dev.reservoir.spec;

import dev.reservoir.protocol.Quantities;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads settings from one source (a WorkerPool spec, a worker's environment) with the defaults and
 * bounds of {@link Setting}, collecting every problem instead of stopping at the first. A problem
 * names the setting as the source spells it ({@code spec.threads}, {@code RESERVOIR_THREADS}) and
 * says what to write instead. A value with a problem reads as its default (or its least value when
 * it has none), so later checks still run; the caller fails if any problem was recorded.
 *
 * <p>Raw values are what the source holds: a String (environment, YAML strings), a Number (YAML or
 * JSON numbers), or null when the setting is left out.
 */
public final class SettingReader {
    private final Function<Setting, Object> raw;
    private final Function<Setting, String> nameOf;
    private final List<String> problems;

    /**
     * @param raw      the raw value of a setting in this source, null when it is left out
     * @param nameOf   how this source names a setting in a problem
     * @param problems where problems are added
     */
    public SettingReader(Function<Setting, Object> raw, Function<Setting, String> nameOf, List<String> problems) {
        this.raw = raw;
        this.nameOf = nameOf;
        this.problems = problems;
    }

    /** Reads a spec: settings are named by their path ({@code spec.queue.maxAttempts}). */
    public static SettingReader ofSpec(Function<Setting, Object> raw, List<String> problems) {
        return new SettingReader(raw, Setting::specPath, problems);
    }

    /** Reads a worker's environment: settings are named by their variable; spec-only settings read as left out. */
    public static SettingReader ofEnv(Map<String, String> env, List<String> problems) {
        return new SettingReader(s -> s.env() == null ? null : env.get(s.env()), Setting::env, problems);
    }

    public List<String> problems() {
        return problems;
    }

    public void problem(Setting setting, String what) {
        problems.add(nameOf.apply(setting) + ": " + what);
    }

    /** True when the setting is present in this source (not null, not blank). */
    public boolean isSet(Setting setting) {
        Object v = raw.apply(setting);
        return v != null && !(v instanceof String s && s.isBlank());
    }

    /** A whole number within the setting's bounds; its default when left out. */
    public long count(Setting setting) {
        Long n = optionalCount(setting);
        return n != null ? n : fallback(setting);
    }

    /** A whole number within bounds, or null when left out (or wrong: then a problem is recorded). */
    public Long optionalCount(Setting setting) {
        Object v = raw.apply(setting);
        if (!isSet(setting)) {
            return setting.defaultValue() == null ? null : Long.parseLong(setting.defaultValue());
        }
        long n;
        if (v instanceof Integer || v instanceof Long || v instanceof Short) {
            n = ((Number) v).longValue();
        } else if (v instanceof String s && s.trim().matches("-?[0-9]{1,19}")) {
            try {
                n = Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                problem(setting, show(v) + " is out of range: use " + setting.range());
                return null;
            }
        } else {
            problem(setting, show(v) + " is not a whole number: use " + setting.range());
            return null;
        }
        if (n < setting.min() || n > setting.max()) {
            problem(setting, n + " is out of range: use " + setting.range());
            return null;
        }
        return n;
    }

    /** A byte size within bounds (64Ki, 1Mi, 4096); its default when left out. */
    public long bytes(Setting setting) {
        Object v = raw.apply(setting);
        if (!isSet(setting)) {
            return Quantities.parseBytes(setting.specPath(), setting.defaultValue());
        }
        long n;
        try {
            n = v instanceof Integer || v instanceof Long ? ((Number) v).longValue() : Quantities.parseBytes("", String.valueOf(v));
        } catch (IllegalArgumentException | ArithmeticException e) {
            problem(setting, show(v) + " is not a size: use bytes or a number with Ki, Mi or Gi, e.g. 64Ki");
            return fallback(setting);
        }
        if (n < setting.min() || n > setting.max()) {
            problem(setting, v + " is out of range: use " + setting.range());
            return fallback(setting);
        }
        return n;
    }

    /** A duration within bounds (500ms, 30s, 2m, 1h); its default when left out. */
    public Duration duration(Setting setting) {
        Object v = raw.apply(setting);
        if (!isSet(setting)) {
            return Quantities.parseDuration(setting.specPath(), setting.defaultValue());
        }
        Duration d;
        try {
            d = Quantities.parseDuration("", String.valueOf(v));
        } catch (IllegalArgumentException | ArithmeticException e) {
            problem(setting, show(v) + " is not a duration: use a number and a unit, e.g. 500ms, 30s, 2m, 1h");
            return Duration.ofMillis(fallback(setting));
        }
        // Compared as Durations: a huge value (3000000000000h) has no millisecond count in a long.
        if (d.compareTo(Duration.ofMillis(setting.min())) < 0 || d.compareTo(Duration.ofMillis(setting.max())) > 0) {
            problem(setting, v + " is out of range: use " + setting.range());
            return Duration.ofMillis(fallback(setting));
        }
        return d;
    }

    /** One of the setting's choices, spelled exactly; its default when left out. */
    public String choice(Setting setting) {
        Object v = raw.apply(setting);
        if (!isSet(setting)) {
            return setting.defaultValue();
        }
        String s = String.valueOf(v).trim();
        if (!setting.choices().contains(s)) {
            problem(setting, show(v) + " is not one of " + setting.range());
            return setting.defaultValue();
        }
        return s;
    }

    private static long fallback(Setting setting) {
        if (setting.defaultValue() == null) {
            return setting.min();
        }
        return switch (setting.kind()) {
            case BYTES -> Quantities.parseBytes("", setting.defaultValue());
            case DURATION -> Quantities.parseDuration("", setting.defaultValue()).toMillis();
            default -> Long.parseLong(setting.defaultValue());
        };
    }

    private static String show(Object value) {
        return value instanceof String s ? "'" + s + "'" : String.valueOf(value);
    }
}
