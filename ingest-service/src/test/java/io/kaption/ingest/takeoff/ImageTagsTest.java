package io.kaption.ingest.takeoff;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ImageTagsTest {

    @Test
    void aPromptWithoutTagsIsLeftAsItIs() {
        assertThat(ImageTags.extract("  Describe <this>  ")).isEqualTo(new ImageTags.Extracted("  Describe <this>  ", List.of()));
    }

    @Test
    void aLeadingTagIsCutOutAndTheRestStripped() {
        assertThat(ImageTags.extract("<image:https://cdn.example.com/cat.jpg?sig=a%3Eb> What is this?"))
                .isEqualTo(new ImageTags.Extracted("What is this?", List.of("https://cdn.example.com/cat.jpg?sig=a%3Eb")));
    }

    @Test
    void everyTagIsFoundWhereverItIs() {
        assertThat(ImageTags.extract("Compare <image:https://a.example/1.png> with <image:data:image/png;base64,AAAA>."))
                .isEqualTo(new ImageTags.Extracted("Compare  with .",
                        List.of("https://a.example/1.png", "data:image/png;base64,AAAA")));
    }

    @Test
    void somethingThatOnlyLooksLikeATagIsText() {
        assertThat(ImageTags.extract("<image:> <image: https://a.example/x.png> <imagex:y>").urls()).isEmpty();
    }
}
