package dev.reservoir.spec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/** docs/configuration.md's table of pool settings says what {@link Setting} says: a changed default or bound fails here until the docs follow. */
class SettingsDocTest {
    static final Path DOC = Path.of("..", "docs", "configuration.md");

    @Test
    void theTableOfPoolSettingsMatchesTheDefinition() throws IOException {
        List<String> lines = Files.readAllLines(DOC);
        SoftAssertions softly = new SoftAssertions();
        for (Setting s : Setting.values()) {
            String row = lines.stream().filter(l -> l.startsWith("| `" + s.field() + "` |")).findFirst().orElse(null);
            softly.assertThat(row).as("a row for %s in %s", s.field(), DOC).isNotNull();
            if (row == null) {
                continue;
            }
            String[] cells = row.split("\\|");
            softly.assertThat(cells[2].trim()).as("variable of %s", s.field()).isEqualTo(s.env() == null ? "–" : "`" + s.env() + "`");
            if (s.defaultValue() != null) {
                softly.assertThat(cells[3].trim()).as("default of %s", s.field()).isEqualTo("`" + s.defaultValue() + "`");
            } else {
                softly.assertThat(cells[3]).as("default of %s", s.field()).containsAnyOf("derived", "required");
            }
            softly.assertThat(cells[4].trim()).as("range of %s", s.field()).startsWith(s.range());
        }
        softly.assertAll();
        assertThat(lines).anyMatch(l -> l.startsWith("## Pool settings"));
    }
}
