package dev.reservoir.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

public class SecretKeyRef {
    @JsonPropertyDescription("Name of a Secret in the WorkerPool's namespace.")
    @Required
    @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    public String name;

    @JsonPropertyDescription("Key inside the Secret whose value is the password.")
    @Required
    @Pattern("^[-._a-zA-Z0-9]+$")
    public String key;

    public SecretKeyRef() {
    }

    public SecretKeyRef(String name, String key) {
        this.name = name;
        this.key = key;
    }
}
