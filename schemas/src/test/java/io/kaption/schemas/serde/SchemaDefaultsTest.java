package io.kaption.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.kaption.schemas.GenerationRequest;
import org.junit.jupiter.api.Test;

class SchemaDefaultsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode schema(String json) throws Exception {
        return JSON.readTree(json.replace('\'', '"'));
    }

    @Test
    void topLevelPropertiesDefaultsAreCollectedAndDataThatLooksLikeOneIsNot() throws Exception {
        JsonNode schema = schema("{'type':'object','properties':{"
                + "'group':{'type':'string','default':'primary'},"
                + "'tokens':{'type':'integer','default':128},"
                + "'default':{'type':'string'},"                                  // a property named default
                + "'mode':{'enum':[{'default':1}],'examples':[{'default':2}]}},"  // data, not schemas
                + "'examples':[{'group':'x','default':'y'}]}");

        assertThat(SchemaDefaults.topLevel(schema, "test/v1"))
                .containsExactly(java.util.Map.entry("group", TextNode.valueOf("primary")),
                        java.util.Map.entry("tokens", IntNode.valueOf(128)));
    }

    @Test
    void aDefaultNothingWouldApplyRefusesTheSchema() throws Exception {
        assertThatThrownBy(() -> SchemaDefaults.topLevel(schema("{'properties':{'a':{'type':'object',"
                + "'properties':{'b':{'default':1}}}}}"), "test/v1"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("test/v1 declares defaults that would not be applied (only top-level properties' are): "
                        + "$/properties/a/properties/b");
        assertThatThrownBy(() -> SchemaDefaults.topLevel(schema("{'$defs':{'d':{'default':1}},"
                + "'oneOf':[{'properties':{'c':{'default':2}}}],'items':{'default':3}}"), "test/v1"))
                .hasMessageEndingWith("$/$defs/d, $/oneOf/0/properties/c, $/items");
    }

    @Test
    void decodingFillsAbsentPropertiesButLeavesAnExplicitNull() throws Exception {
        GenerationRequest filled = ContractCodec.REQUESTS.decode(schema("{'request_id':'r-1','text':'Describe it.'}"));
        assertThat(filled.consumerGroup()).isEqualTo("primary");
        assertThat(filled.maxNewTokens()).isEqualTo(128);

        assertThatThrownBy(() -> ContractCodec.REQUESTS.decode(schema("{'request_id':'r-1','text':'Describe it.',"
                + "'consumer_group':null}")))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("$.consumer_group");
    }
}
