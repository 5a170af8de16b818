package io.kaption.engine.prompt;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * The Python {@code str} methods Hugging Face chat templates call ({@code message['role'].upper()},
 * {@code content.strip()}, {@code text.startswith('[')}, ...), which Jinja inherits from Python and Jinjava lacks.
 * Only method calls on strings are resolved here; everything else falls through to Jinjava's own resolvers.
 */
final class PythonStringMethods extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || method == null) {
            return null;
        }
        Object[] args = params == null ? new Object[0] : params;
        Object result = call(s, method.toString(), args);
        if (result != null) {
            context.setPropertyResolved(true);
        }
        return result;
    }

    private static Object call(String s, String method, Object[] args) {
        switch (method) {
            case "upper":
                return s.toUpperCase(Locale.ROOT);
            case "lower":
                return s.toLowerCase(Locale.ROOT);
            case "strip":
                return args.length == 0 || args[0] == null ? s.strip() : stripChars(s, args[0].toString(), true, true);
            case "lstrip":
                return args.length == 0 || args[0] == null ? s.stripLeading() : stripChars(s, args[0].toString(), true, false);
            case "rstrip":
                return args.length == 0 || args[0] == null ? s.stripTrailing() : stripChars(s, args[0].toString(), false, true);
            case "startswith":
                return affixes(args).stream().anyMatch(s::startsWith);
            case "endswith":
                return affixes(args).stream().anyMatch(s::endsWith);
            case "split":
                return split(s, args);
            case "join":
                return args.length == 1 && args[0] instanceof Collection<?> parts
                        ? parts.stream().map(String::valueOf).collect(Collectors.joining(s)) : null;
            case "title":
                return title(s);
            case "capitalize":
                return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "count":
                return args.length == 1 ? count(s, String.valueOf(args[0])) : null;
            case "find":
                return args.length == 1 ? s.indexOf(String.valueOf(args[0])) : null;
            default:
                return null;
        }
    }

    private static List<String> affixes(Object[] args) {
        if (args.length != 1) {
            throw new IllegalArgumentException("startswith/endswith take one argument");
        }
        if (args[0] instanceof Collection<?> options) {
            return options.stream().map(String::valueOf).toList();
        }
        return List.of(String.valueOf(args[0]));
    }

    private static List<String> split(String s, Object[] args) {
        if (args.length == 0 || args[0] == null) {
            String trimmed = s.strip();
            return trimmed.isEmpty() ? List.of() : Arrays.asList(trimmed.split("\\s+"));
        }
        int max = args.length > 1 ? ((Number) args[1]).intValue() : -1;
        return new ArrayList<>(Arrays.asList(s.split(Pattern.quote(args[0].toString()), max < 0 ? -1 : max + 1)));
    }

    private static String stripChars(String s, String chars, boolean leading, boolean trailing) {
        int start = 0;
        int end = s.length();
        while (leading && start < end && chars.indexOf(s.charAt(start)) >= 0) {
            start++;
        }
        while (trailing && end > start && chars.indexOf(s.charAt(end - 1)) >= 0) {
            end--;
        }
        return s.substring(start, end);
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (char c : s.toCharArray()) {
            out.append(previousCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            previousCased = Character.isLetter(c);
        }
        return out.toString();
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1;
        }
        int n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) {
            n++;
        }
        return n;
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // read-only: properties are left to the other resolvers
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
