package io.kaption.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LinearTest {

    private static NDManager manager;
    private static OneDnnLinear oneDnn;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager(ai.djl.Device.cpu());
        oneDnn = OneDnnLinear.loadForCpu(manager);
        assertThat(oneDnn).as("DJL's CPU libtorch is built with oneDNN").isNotNull();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    /**
     * Output widths include ones whose oneDNN packing DJL's libtorch 2.7.1 gets wrong at the pack's row hint (40,
     * 48, 72) or at others (64, 128, 160): the linear must notice and keep the plain weight.
     */
    @ParameterizedTest(name = "[{0}, {1}] · [{2}, {1}]ᵀ, bias {3}")
    @CsvSource({"1, 16, 64, false", "5, 48, 96, true", "283, 64, 32, true", "7, 768, 2048, false", "10, 48, 96, false",
        "12, 32, 40, true", "16, 32, 40, false", "3, 768, 48, true", "1, 32, 72, false", "100, 64, 72, true",
        "16, 768, 128, false", "2, 32, 160, false", "1024, 96, 256, true", "16, 768, 2304, false",
        "4, 768, 32000, false"})
    void oneDnnMatchesTorchsLinear(int rows, int in, int out, boolean withBias) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray weight = scope.randomNormal(new Shape(out, in));
            NDArray bias = withBias ? scope.randomNormal(new Shape(out)) : null;
            NDArray x = scope.randomNormal(new Shape(2, rows, in));
            NDArray expected = new Linear(weight.duplicate(), bias).apply(x);

            NDArray actual = new Linear(weight.duplicate(), bias, oneDnn).apply(x);

            assertThat(actual.getShape()).isEqualTo(expected.getShape());
            assertThat(maxAbsDifference(actual, expected)).isLessThan(5e-4f);
        }
    }

    @ParameterizedTest(name = "{0} rows")
    @CsvSource({"1", "9"})
    void readsNonContiguousInputAndItsResultMayBeUpdatedInPlace(int rows) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray weight = scope.randomNormal(new Shape(24, 32));
            NDArray x = scope.randomNormal(new Shape(rows, 2, 32)).transpose(1, 0, 2);
            NDArray expected = new Linear(weight.duplicate(), null).apply(x).add(1f);

            NDArray actual = new Linear(weight.duplicate(), null, oneDnn).apply(x).addi(1f);

            assertThat(maxAbsDifference(actual, expected)).isLessThan(1e-4f);
        }
    }

    @ParameterizedTest(name = "{0} rows")
    @CsvSource({"1", "12"})
    void float16WeightsOnTheCpuTakeAndGiveFloat32(int rows) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray weight = scope.randomNormal(new Shape(40, 32)).toType(DataType.FLOAT16, false);
            NDArray x = scope.randomNormal(new Shape(rows, 32));
            NDArray expected = x.matMul(weight.toType(DataType.FLOAT32, false).transpose());

            NDArray actual = new Linear(weight, null, oneDnn).apply(x);

            assertThat(actual.getDataType()).isEqualTo(DataType.FLOAT32);
            assertThat(maxAbsDifference(actual, expected)).isLessThan(0.05f);
        }
    }

    private static float maxAbsDifference(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }
}
