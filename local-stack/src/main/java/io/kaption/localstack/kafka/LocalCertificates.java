package io.kaption.localstack.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away certificate authority and a broker certificate it signed for {@code 127.0.0.1}, made with the JDK's
 * {@code keytool}: what a broker's TLS listener needs, and the truststore its clients need to trust it. Valid for
 * two days, RSA 2048, PKCS12 stores that share one password.
 *
 * @param keyStore   the broker's key and certificate chain ({@code ssl.keystore.location})
 * @param trustStore the CA certificate only ({@code ssl.truststore.location} of the clients)
 * @param password   of both stores and of the key
 */
public record LocalCertificates(Path keyStore, Path trustStore, String password) {

    private static final String VALIDITY_DAYS = "2";
    private static final long KEYTOOL_TIMEOUT_SECONDS = 60;

    /** Makes the CA and the broker certificate under {@code dir}. */
    public static LocalCertificates create(Path dir, String password) {
        try {
            Files.createDirectories(dir);
            Path ca = dir.resolve("ca.p12");
            Path caCert = dir.resolve("ca.pem");
            Path csr = dir.resolve("broker.csr");
            Path brokerCert = dir.resolve("broker.pem");
            Path keyStore = dir.resolve("broker.p12");
            Path trustStore = dir.resolve("truststore.p12");
            keytool("-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048", "-validity", VALIDITY_DAYS,
                    "-dname", "CN=Kaption local CA", "-ext", "bc:c", "-keystore", ca.toString(),
                    "-storetype", "PKCS12", "-storepass", password);
            keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", password,
                    "-file", caCert.toString());
            keytool("-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048",
                    "-validity", VALIDITY_DAYS, "-dname", "CN=127.0.0.1", "-keystore", keyStore.toString(),
                    "-storetype", "PKCS12", "-storepass", password);
            keytool("-certreq", "-alias", "broker", "-keystore", keyStore.toString(), "-storepass", password,
                    "-file", csr.toString());
            // Clients verify the host name: the certificate names the address they connect to.
            keytool("-gencert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", password,
                    "-validity", VALIDITY_DAYS, "-ext", "san=ip:127.0.0.1,dns:localhost",
                    "-infile", csr.toString(), "-outfile", brokerCert.toString());
            keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caCert.toString(),
                    "-keystore", keyStore.toString(), "-storepass", password);
            keytool("-importcert", "-noprompt", "-alias", "broker", "-file", brokerCert.toString(),
                    "-keystore", keyStore.toString(), "-storepass", password);
            keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caCert.toString(),
                    "-keystore", trustStore.toString(), "-storetype", "PKCS12", "-storepass", password);
            return new LocalCertificates(keyStore, trustStore, password);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make TLS certificates in " + dir, e);
        }
    }

    private static void keytool(String... arguments) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(KEYTOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("keytool " + arguments[0] + " did not finish");
            }
            if (process.exitValue() != 0) {
                throw new IOException("keytool " + arguments[0] + " failed: " + output.strip());
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running keytool", e);
        }
    }
}
