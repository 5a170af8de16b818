package io.kaption.cli.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kaption.schemas.jobs.JobState;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ExitCodesTest {

    @Test
    void eachTerminalStateHasItsExitStatus() {
        assertThat(ExitCodes.forTerminalState("completed")).isZero();
        assertThat(ExitCodes.forTerminalState("failed")).isEqualTo(1);
        assertThat(ExitCodes.forTerminalState("partially_completed")).isEqualTo(2);
        assertThat(ExitCodes.forTerminalState("cancelled")).isEqualTo(3);
        assertThat(ExitCodes.USAGE).isEqualTo(64);
    }

    @Test
    void aStateThatIsNotTerminalHasNone() {
        assertThatThrownBy(() -> ExitCodes.forTerminalState("in_progress"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a terminal job state: in_progress");
    }

    /** The CLI knows the states by their wire names only; they must agree with the contract's. */
    @Test
    void theTerminalStatesAreTheContractsOnes() {
        ObjectMapper json = new ObjectMapper();
        Arrays.stream(JobState.values()).forEach(state -> {
            String wireName = json.valueToTree(state).textValue();
            assertThat(ExitCodes.isTerminal(wireName)).as(wireName).isEqualTo(state.isTerminal());
        });
        assertThat(ExitCodes.isTerminal("a_state_of_v2")).isFalse();
    }
}
