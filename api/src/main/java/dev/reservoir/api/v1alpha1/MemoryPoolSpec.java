package dev.reservoir.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.reservoir.spec.SettingDefaults;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.blocks) || !has(self.maxBlocks) || self.maxBlocks >= self.blocks",
        message = "memoryPool.maxBlocks must be at least memoryPool.blocks", reason = "FieldValueInvalid")
public class MemoryPoolSpec {
    @JsonPropertyDescription("Size of one off-heap block, as a byte quantity (64Ki, 1Mi, 4096). Task payloads and scratch space are"
            + " leased in blocks of this size. 64 bytes to 64Mi, a multiple of 8.")
    @Pattern(SettingDefaults.SIZE_PATTERN)
    @Default(SettingDefaults.BLOCK_SIZE)
    public String blockSize;

    // No schema default for blocks and maxBlocks: left out, the worker derives them from threads + prefetch (each
    // claimed task's payload needs a block), the same in local mode and under the operator.
    @JsonPropertyDescription("Blocks allocated up front when the worker starts. Default: derived by the worker,"
            + " max(16, 2 x (threads + prefetch)).")
    @Min(1)
    @Max(SettingDefaults.BLOCKS_MAX)
    public Integer blocks;

    @JsonPropertyDescription("Cap on blocks: the pool grows by slabs up to this many; when all are leased, the worker applies"
            + " back-pressure (claims nothing new) instead of running out of memory. Default: derived by the worker,"
            + " max(blocks, 4 x (threads + prefetch)).")
    @Min(1)
    @Max(SettingDefaults.MAX_BLOCKS_MAX)
    public Integer maxBlocks;
}
