package io.kaption.worker.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kaption.engine.vision.preprocess.ImageDecoder;
import io.kaption.engine.vision.preprocess.RgbImage;
import io.kaption.images.ImageIntake;
import io.kaption.images.ImageIntakeConfig;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The pixels admission decoded, handed on to the engine, are exactly what the engine's own decoding makes. */
class ImageLoaderTest {

    private final ImageIntake intake = new ImageIntake(ImageIntakeConfig.defaults());
    private final ImageLoader loader = new ImageLoader(intake, null);

    @AfterEach
    void close() throws IOException {
        intake.close();
    }

    @ParameterizedTest
    @CsvSource({"jpeg, image/jpeg, colour", "jpeg, image/jpeg, grey", "png, image/png, colour",
            "png, image/png, grey", "png, image/png, palette", "gif, image/gif, colour", "bmp, image/bmp, colour"})
    void admittedPixelsBecomeTheEnginesRgb(String format, String mediaType, String samples) throws IOException {
        int imageType = switch (samples) {
            case "grey" -> BufferedImage.TYPE_BYTE_GRAY;
            case "palette" -> BufferedImage.TYPE_BYTE_INDEXED;
            default -> BufferedImage.TYPE_3BYTE_BGR;
        };
        byte[] bytes = encode(drawing(imageType), format);

        LoadedImage loaded = loader.load("data:" + mediaType + ";base64," + Base64.getEncoder().encodeToString(bytes));

        RgbImage expected = ImageDecoder.decode(bytes);
        assertThat(loaded.bytes()).isEqualTo(bytes);
        assertThat(loaded.rgb().width()).isEqualTo(expected.width());
        assertThat(loaded.rgb().height()).isEqualTo(expected.height());
        assertThat(loaded.rgb().pixels()).isEqualTo(expected.pixels());
    }

    @Test
    void aTruncatedImageIsInvalid() throws IOException {
        byte[] jpeg = encode(drawing(BufferedImage.TYPE_3BYTE_BGR), "jpeg");
        String url = "data:image/jpeg;base64," + Base64.getEncoder().encodeToString(Arrays.copyOf(jpeg,
                jpeg.length / 2));

        assertThatThrownBy(() -> loader.load(url)).isInstanceOfSatisfying(ImageLoadException.class,
                e -> assertThat(e.code()).isEqualTo("invalid_image"));
    }

    /** Colours and edges in an image of the given {@link BufferedImage} type (3-byte BGR, grey, indexed). */
    private static BufferedImage drawing(int imageType) {
        BufferedImage image = new BufferedImage(61, 37, imageType);
        Graphics2D g = image.createGraphics();
        g.setColor(new Color(200, 120, 40));
        g.fillRect(0, 0, 61, 37);
        g.setColor(new Color(20, 90, 230));
        g.fillOval(8, 3, 40, 30);
        g.setColor(Color.WHITE);
        g.drawLine(0, 36, 60, 0);
        g.dispose();
        return image;
    }

    private static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(image, format, out)).as("a writer for %s", format).isTrue();
        return out.toByteArray();
    }
}
