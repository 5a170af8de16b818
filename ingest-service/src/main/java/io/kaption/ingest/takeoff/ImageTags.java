package io.kaption.ingest.takeoff;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Inline image references in a prompt: {@code <image:URL>}. Each tag is cut out of the text (which is then stripped
 * of surrounding whitespace) and its URL becomes the request's image.
 */
public final class ImageTags {

    // A URL ends at the first '>', '<' or whitespace; none of these may appear unescaped in a URL.
    private static final Pattern TAG = Pattern.compile("<image:([^<>\\s]+)>");

    private ImageTags() {
    }

    /** The prompt without its tags, and the tags' URLs in order of appearance. */
    public record Extracted(String text, List<String> urls) {
        public Extracted {
            urls = List.copyOf(urls);
        }
    }

    public static Extracted extract(String prompt) {
        Matcher matcher = TAG.matcher(prompt);
        List<String> urls = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        while (matcher.find()) {
            urls.add(matcher.group(1));
            matcher.appendReplacement(text, "");
        }
        if (urls.isEmpty()) {
            return new Extracted(prompt, List.of());
        }
        matcher.appendTail(text);
        return new Extracted(text.toString().strip(), urls);
    }
}
