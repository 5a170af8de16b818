package io.kaption.constraints;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonSchemaConstraintTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonSchemaFactory VALIDATORS = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":8},"
                + "\"age\":{\"type\":\"integer\"},\"ok\":{\"type\":\"boolean\"}},\"required\":[\"name\",\"age\",\"ok\"],"
                + "\"additionalProperties\":false}",
        "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\"},\"b\":{\"type\":\"null\"},"
                + "\"c\":{\"enum\":[\"x\",1,null,[true]]}},\"required\":[\"b\"]}",
        "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"type\":\"string\"}}}",
        "{\"type\":\"array\",\"items\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":3},\"minItems\":2,\"maxItems\":4}",
        "{\"type\":\"array\",\"items\":{\"const\":\"é\\\"\\n\"}}",
        "{\"type\":[\"string\",\"null\"]}",
        "{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"object\",\"properties\":{\"k\":{\"type\":\"string\"}},"
                + "\"required\":[\"k\"]}]}",
        "{\"type\":\"object\"}",
        "{}",
        "{\"$defs\":{\"point\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"number\"},"
                + "\"y\":{\"type\":\"number\"}},\"required\":[\"x\",\"y\"],\"additionalProperties\":false}},"
                + "\"type\":\"object\",\"properties\":{\"points\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/point\"}}},"
                + "\"required\":[\"points\"],\"title\":\"Shape\"}",
    })
    void everyAcceptedTextIsJsonValidAgainstTheSchema(String schemaText) throws Exception {
        JsonNode schemaNode = JSON.readTree(schemaText);
        OutputConstraint constraint = OutputConstraint.jsonSchema(schemaNode);
        JsonSchema validator = VALIDATORS.getSchema(schemaNode);
        DfaSampler sampler = new DfaSampler(constraint.dfa());
        Random random = new Random(schemaText.hashCode());
        for (int i = 0; i < 200; i++) {
            String text = sampler.sample(random, 40);
            JsonNode parsed = JSON.readTree(text);
            assertThat(validator.validate(parsed)).as("%s against %s", text, schemaText).isEmpty();
        }
    }

    @Test
    void requiredPropertiesAndClosedObjects() throws Exception {
        CharDfa dfa = OutputConstraint.jsonSchema(JSON.readTree("{\"type\":\"object\",\"properties\":{"
                + "\"a\":{\"type\":\"integer\"},\"b\":{\"type\":\"string\"}},\"required\":[\"b\"]}")).dfa();
        assertThat(dfa.matches("{\"b\":\"x\"}")).isTrue();
        assertThat(dfa.matches("{\"a\":1,\"b\":\"x\"}")).isTrue();
        assertThat(dfa.matches("{\"a\":1}")).as("b is required").isFalse();
        assertThat(dfa.matches("{\"b\":\"x\",\"c\":1}")).as("no extra properties are written").isFalse();
        assertThat(dfa.matches("{}")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"type\":\"string\",\"pattern\":\"a+\"}",
        "{\"type\":\"integer\",\"minimum\":0}",
        "{\"type\":\"strange\"}",
        "{\"type\":\"object\",\"properties\":{\"a\":{}},\"required\":[\"b\"]}",
        "{\"$ref\":\"#/$defs/missing\"}",
        "{\"$defs\":{\"n\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/n\"}}},\"$ref\":\"#/$defs/n\"}",
        "{\"type\":\"string\",\"minLength\":5,\"maxLength\":2}",
        "{\"enum\":[]}",
        "false",
        "{\"oneOf\":[{\"type\":\"string\"}]}",
    })
    void unsupportedOrInvalidSchemasAreRefused(String schemaText) throws Exception {
        assertThatThrownBy(() -> OutputConstraint.jsonSchema(JSON.readTree(schemaText)))
                .isInstanceOf(ConstraintException.class)
                .hasMessageStartingWith("json_schema");
    }

    @Test
    void bothFieldsTogetherAreRefused() throws Exception {
        assertThatThrownBy(() -> OutputConstraint.of("a", JSON.readTree("{}")))
                .hasMessage("set regex_string or json_schema, not both");
        assertThat(OutputConstraint.of(null, null)).isNull();
    }
}
