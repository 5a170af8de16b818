package io.kaption.kit.kafka;

import io.kaption.kit.env.Env;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;

/**
 * How a service reaches Kafka: the bootstrap servers and the client properties that operators set through the
 * environment (security above all: TLS, SASL, truststores), applied to every producer, consumer, admin client and
 * Kafka Streams application of the service.
 *
 * <p>Any Kafka client property {@code a.b.c} is set by the variable {@code KAPTION_KAFKA_A_B_C}: for example
 * {@code KAPTION_KAFKA_SECURITY_PROTOCOL=SASL_SSL}, {@code KAPTION_KAFKA_SASL_MECHANISM=SCRAM-SHA-512},
 * {@code KAPTION_KAFKA_SASL_JAAS_CONFIG=…}, {@code KAPTION_KAFKA_SSL_TRUSTSTORE_LOCATION=/etc/kafka/ca.p12}.
 * {@code KAPTION_KAFKA_BOOTSTRAP_SERVERS} is simply the first of them. {@code KAPTION_KAFKA_PORT} is not a client
 * property: it is the port of the broker that {@code bin/kaption local} starts, and is skipped here. A variable
 * with the prefix that names no producer, consumer or admin client property fails the start, so that a typo in a
 * security setting does not go unnoticed.
 *
 * <p>What a service sets itself for correctness (idempotence, acks, isolation level, group ids, serializers, …)
 * wins over the environment. Values are never logged: {@link #toString()} names the properties only.
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param properties       the other client properties, by Kafka name ({@code security.protocol} → value)
 */
public record KafkaConnection(String bootstrapServers, Map<String, String> properties) {

    public static final String PREFIX = "KAPTION_KAFKA_";
    public static final String BOOTSTRAP_SERVERS = "KAPTION_KAFKA_BOOTSTRAP_SERVERS";
    public static final String DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:9092";
    /** Variables with the prefix that are not client properties. */
    public static final Set<String> NOT_CLIENT_PROPERTIES = Set.of("KAPTION_KAFKA_PORT");

    private static final Set<String> PRODUCER = ProducerConfig.configNames();
    private static final Set<String> CONSUMER = ConsumerConfig.configNames();
    private static final Set<String> ADMIN = AdminClientConfig.configNames();

    public KafkaConnection {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        if (bootstrapServers.isBlank()) {
            throw new IllegalArgumentException(BOOTSTRAP_SERVERS + " must not be empty");
        }
        properties = Map.copyOf(properties);
        if (properties.containsKey(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
            throw new IllegalArgumentException("bootstrap.servers goes in bootstrapServers, not properties");
        }
    }

    /** Plain connections to {@code bootstrapServers}, no other properties. */
    public static KafkaConnection of(String bootstrapServers) {
        return new KafkaConnection(bootstrapServers, Map.of());
    }

    public static KafkaConnection fromEnvironment(Env env) {
        Map<String, String> properties = new HashMap<>();
        for (String name : env.asMap().keySet()) {
            if (!name.startsWith(PREFIX) || name.equals(BOOTSTRAP_SERVERS) || NOT_CLIENT_PROPERTIES.contains(name)) {
                continue;
            }
            String property = propertyName(name);
            if (!PRODUCER.contains(property) && !CONSUMER.contains(property) && !ADMIN.contains(property)) {
                throw new IllegalArgumentException(name + " names no Kafka client property (" + property + ")");
            }
            env.string(name).ifPresent(value -> properties.put(property, value));
        }
        return new KafkaConnection(env.string(BOOTSTRAP_SERVERS, DEFAULT_BOOTSTRAP_SERVERS), properties);
    }

    /** {@code KAPTION_KAFKA_SASL_JAAS_CONFIG} → {@code sasl.jaas.config}. */
    public static String propertyName(String variable) {
        return variable.substring(PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
    }

    /** {@code sasl.jaas.config} → {@code KAPTION_KAFKA_SASL_JAAS_CONFIG}. */
    public static String variableName(String property) {
        return PREFIX + property.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    /** A producer's configuration: the connection's producer properties, then {@code own} over them. */
    public Map<String, Object> producer(Map<String, ?> own) {
        return merge(PRODUCER, own);
    }

    public Map<String, Object> consumer(Map<String, ?> own) {
        return merge(CONSUMER, own);
    }

    public Map<String, Object> admin(Map<String, ?> own) {
        return merge(ADMIN, own);
    }

    /** A Kafka Streams configuration: every property (Streams hands each to the clients that know it), {@code own} over them. */
    public Properties streams(Properties own) {
        Properties merged = new Properties();
        merged.putAll(properties);
        merged.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        merged.putAll(own);
        return merged;
    }

    private Map<String, Object> merge(Set<String> known, Map<String, ?> own) {
        Map<String, Object> merged = new HashMap<>();
        properties.forEach((name, value) -> {
            if (known.contains(name)) {
                merged.put(name, value);
            }
        });
        merged.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        merged.putAll(own);
        return merged;
    }

    /** How long {@link #checkAccess(String)} waits for an answer before leaving an unreachable Kafka to the clients. */
    public static final Duration ACCESS_CHECK_WAIT = Duration.ofSeconds(5);

    /** {@link #checkAccess(String, Duration)} waiting {@link #ACCESS_CHECK_WAIT}. */
    public void checkAccess(String clientId) {
        checkAccess(clientId, ACCESS_CHECK_WAIT);
    }

    /**
     * Fails at once when Kafka refuses this connection's credentials or TLS setup, instead of letting the service's
     * clients retry a connection that can never succeed. An unreachable Kafka is not an error here (services wait
     * for it as they always have): after {@code wait} the check gives up silently.
     *
     * @throws KafkaAccessException naming the bootstrap servers, the security protocol and Kafka's reason
     */
    public void checkAccess(String clientId, Duration wait) {
        Admin admin = Admin.create(admin(Map.of(
                AdminClientConfig.CLIENT_ID_CONFIG, clientId,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) wait.toMillis(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) wait.toMillis())));
        try {
            admin.describeCluster().clusterId().get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AuthenticationException || e.getCause() instanceof AuthorizationException) {
                throw new KafkaAccessException("Kafka at " + bootstrapServers + " refused "
                        + properties.getOrDefault(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "PLAINTEXT")
                        + " access: " + e.getCause().getMessage(), e.getCause());
            }
            // Anything else (unreachable, not ready yet) is for the service's own clients to wait out.
        } catch (TimeoutException e) {
            // Unreachable so far: the service's clients keep trying, as without this check.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking access to Kafka", e);
        } finally {
            admin.close(Duration.ZERO);
        }
    }

    /** Kafka refused the credentials or the TLS handshake of a {@link KafkaConnection}. */
    public static final class KafkaAccessException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        KafkaAccessException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The bootstrap servers and the names of the other properties, never their values (JAAS configs hold passwords). */
    @Override
    public String toString() {
        return "KafkaConnection[" + bootstrapServers + (properties.isEmpty() ? "" : ", "
                + new TreeMap<>(properties).keySet()) + "]";
    }
}
