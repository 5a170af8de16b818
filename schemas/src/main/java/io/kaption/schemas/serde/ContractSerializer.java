package io.kaption.schemas.serde;

import com.fasterxml.jackson.databind.JsonNode;
import io.apicurio.registry.resolver.client.RegistryClientFacadeImpl;
import io.apicurio.registry.rest.client.RegistryClient;
import io.apicurio.registry.serde.config.SerdeConfig;
import io.apicurio.registry.serde.jsonschema.JsonSchemaKafkaSerializer;
import io.apicurio.registry.serde.kafka.config.KafkaSerdeConfig;
import io.kiota.http.jdk.JDKRequestAdapter;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka {@link Serializer} of one topic's values. Every value is checked against the topic's schema first, then
 * written as plain JSON, or, when {@value #SCHEMA_REGISTRY_URL_CONFIG} is configured, registered with that registry
 * and framed by Apicurio's serializer in the Confluent wire format (any {@code apicurio.*} setting is passed on).
 */
public final class ContractSerializer<T> implements Serializer<T> {

    /** Base URL of an Apicurio Registry 3 core API, e.g. {@code http://127.0.0.1:8080/apis/registry/v3}. */
    public static final String SCHEMA_REGISTRY_URL_CONFIG = "kaption.schema.registry.url";

    private final ContractCodec<T> codec;
    private JsonSchemaKafkaSerializer<JsonNode> registrySerializer;

    /** Writes plain JSON unless {@link #configure} is called with {@value #SCHEMA_REGISTRY_URL_CONFIG}. */
    public ContractSerializer(ContractCodec<T> codec) {
        this.codec = codec;
    }

    /**
     * Configured at once from the producer's settings: Kafka configures only serializers it instantiates itself,
     * not instances handed to {@code new KafkaProducer<>(configs, keySerializer, valueSerializer)}.
     */
    public ContractSerializer(ContractCodec<T> codec, Map<String, ?> producerConfigs) {
        this(codec);
        configure(producerConfigs, false);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        Object registryUrl = configs.get(SCHEMA_REGISTRY_URL_CONFIG);
        if (registryUrl == null || registryUrl.toString().isBlank()) {
            return;
        }
        Map<String, Object> apicurio = new HashMap<>();
        configs.forEach((key, value) -> {
            if (key.startsWith("apicurio.")) {
                apicurio.put(key, value);
            }
        });
        apicurio.put(SerdeConfig.REGISTRY_URL, registryUrl.toString());
        apicurio.putIfAbsent(SerdeConfig.AUTO_REGISTER_ARTIFACT, true);
        apicurio.put(SerdeConfig.SCHEMA_LOCATION, codec.schemaResource());
        // The id goes in the payload frame, where readers in any language look for it.
        apicurio.put(KafkaSerdeConfig.ENABLE_HEADERS, false);
        // Validated already, with the clearer messages of ContractCodec.
        apicurio.put(SerdeConfig.VALIDATION_ENABLED, false);
        // Our own JDK-HttpClient registry client: Apicurio's client factory fails to load without Vert.x on the
        // classpath even when asked for its JDK adapter. (So auth and TLS settings of apicurio.* do not apply.)
        // HTTP/1.1: the JDK client's default h2c upgrade of a POST with a body stalls Apicurio's (Vert.x) server.
        JDKRequestAdapter http = new JDKRequestAdapter(HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build());
        http.setBaseUrl(registryUrl.toString());
        registrySerializer = new JsonSchemaKafkaSerializer<>(new RegistryClientFacadeImpl(new RegistryClient(http)));
        registrySerializer.configure(apicurio, isKey);
    }

    @Override
    public byte[] serialize(String topic, T data) {
        return serialize(topic, null, data);
    }

    @Override
    public byte[] serialize(String topic, Headers headers, T data) {
        if (registrySerializer == null) {
            return codec.encode(data);
        }
        return registrySerializer.serialize(topic, headers, codec.toValidatedTree(data));
    }

    @Override
    public void close() {
        if (registrySerializer != null) {
            registrySerializer.close();
        }
    }
}
