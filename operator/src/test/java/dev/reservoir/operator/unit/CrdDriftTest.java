package dev.reservoir.operator.unit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.reservoir.spec.Setting;
import dev.reservoir.spec.SettingDefaults;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * The CRD's schema against the one definition of a pool's settings ({@link Setting}): a default,
 * bound or spelling written into the resource classes by hand, instead of taken from
 * {@link SettingDefaults}, fails the build here.
 */
class CrdDriftTest {

    @Test
    void everySettingHasItsDefaultAndBoundsInTheSchema() throws IOException {
        CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(CrdTest.GENERATED), CustomResourceDefinition.class);
        JSONSchemaProps spec = crd.getSpec().getVersions().getFirst().getSchema().getOpenAPIV3Schema().getProperties().get("spec");
        SoftAssertions softly = new SoftAssertions();
        for (Setting setting : Setting.values()) {
            JSONSchemaProps field = spec;
            for (String part : setting.field().split("\\.")) {
                field = field == null || field.getProperties() == null ? null : field.getProperties().get(part);
            }
            softly.assertThat(field).as("%s has a place in the schema", setting.specPath()).isNotNull();
            if (field == null) {
                continue;
            }
            String as = setting.specPath();
            if (setting.defaultValue() == null) {
                softly.assertThat(field.getDefault()).as("%s has no default (derived or required)", as).isNull();
            } else {
                softly.assertThat(field.getDefault()).as("%s has a default", as).isNotNull();
                if (field.getDefault() != null) {
                    softly.assertThat(field.getDefault().asText()).as("default of %s", as).isEqualTo(setting.defaultValue());
                }
            }
            switch (setting.kind()) {
                case COUNT -> {
                    softly.assertThat(field.getType()).as("type of %s", as).isEqualTo("integer");
                    softly.assertThat(field.getMinimum()).as("minimum of %s", as).isEqualTo((double) setting.min());
                    if (setting.max() == Long.MAX_VALUE) {
                        softly.assertThat(field.getMaximum()).as("maximum of %s", as).isNull();
                    } else {
                        softly.assertThat(field.getMaximum()).as("maximum of %s", as).isEqualTo((double) setting.max());
                    }
                }
                case BYTES -> softly.assertThat(field.getPattern()).as("pattern of %s", as).isEqualTo(SettingDefaults.SIZE_PATTERN);
                case DURATION -> softly.assertThat(field.getPattern()).as("pattern of %s", as).isEqualTo(SettingDefaults.DURATION_PATTERN);
                case CHOICE -> softly.assertThat(field.getPattern()).as("pattern of %s", as)
                        .isEqualTo("^(" + String.join("|", setting.choices()) + ")$");
            }
        }
        softly.assertAll();
    }
}
