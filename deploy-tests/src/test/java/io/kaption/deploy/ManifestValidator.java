package io.kaption.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Validates manifests offline with {@code src/test/k8s-validator/validate.mjs}: built-in kinds against the
 * Kubernetes OpenAPI schema (npm {@code kubernetes-models}), custom resources against their CRDs'
 * {@code openAPIV3Schema} ({@code src/test/resources/crds/}). Its npm packages, pinned by package-lock.json, are
 * installed with {@code npm ci} into {@code target/k8s-validator} once, and again only when the lock file changes
 * (npm's own cache makes a reinstall offline).
 */
final class ManifestValidator {

    /** What the validator says about one object. */
    record Verdict(String apiVersion, String kind, String name, List<String> errors) {
        @Override
        public String toString() {
            return apiVersion + " " + kind + " " + name + ": " + String.join("; ", errors);
        }
    }

    private static final String[] FILES = {"package.json", "package-lock.json", "validate.mjs"};
    private static final ObjectMapper JSON = new ObjectMapper();
    private static ManifestValidator installed;

    private final Path directory;

    private ManifestValidator(Path directory) {
        this.directory = directory;
    }

    static synchronized ManifestValidator installed() {
        if (installed == null) {
            installed = install(Path.of(System.getProperty("kaption.validator.source", "src/test/k8s-validator")),
                    Path.of(System.getProperty("kaption.validator.work", "target/k8s-validator")));
        }
        return installed;
    }

    private static ManifestValidator install(Path source, Path work) {
        try {
            Files.createDirectories(work);
            for (String file : FILES) {
                Files.copy(source.resolve(file), work.resolve(file), StandardCopyOption.REPLACE_EXISTING);
            }
            String node = Tools.runChecked(List.of("node", "--version"), work, Duration.ofSeconds(30)).strip();
            int major = Integer.parseInt(node.replaceFirst("^v(\\d+)\\..*$", "$1"));
            if (major < 18) {
                throw new AssertionError("the deploy tests need Node.js 18 or newer, found " + node);
            }
            Path marker = work.resolve("node_modules").resolve(".kaption-lock-sha256");
            String lockHash = sha256(work.resolve("package-lock.json"));
            if (!Files.exists(marker) || !Files.readString(marker).equals(lockHash)) {
                Tools.runChecked(List.of("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--prefer-offline"),
                        work, Duration.ofMinutes(5));
                Files.writeString(marker, lockHash);
            }
            return new ManifestValidator(work);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One verdict per object of {@code yaml}, valid or not. */
    List<Verdict> validate(String yaml) {
        try {
            Path manifests = Files.createTempFile(directory, "manifests-", ".yaml");
            try {
                Files.writeString(manifests, yaml, StandardCharsets.UTF_8);
                Path crds = Path.of(System.getProperty("kaption.crds.dir", "src/test/resources/crds")).toAbsolutePath();
                Tools.Result result = Tools.run(List.of("node", "validate.mjs", crds.toString(), manifests.toString()),
                        directory, Duration.ofMinutes(2));
                if (result.exitCode() != 0 && result.exitCode() != 1) {
                    throw new AssertionError("validate.mjs failed (exit " + result.exitCode() + "):\n" + result.stderr());
                }
                List<Verdict> verdicts = new ArrayList<>();
                for (JsonNode object : JSON.readTree(result.stdout()).path("objects")) {
                    List<String> errors = new ArrayList<>();
                    object.path("errors").forEach(error -> errors.add(error.asText()));
                    verdicts.add(new Verdict(object.path("apiVersion").asText(), object.path("kind").asText(),
                            object.path("name").asText(), errors));
                }
                return verdicts;
            } finally {
                Files.deleteIfExists(manifests);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
