package io.cais.observability;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Route templates as operators read them. Quarkus REST reports a resource method's path as declared, regular
 * expressions included ({@code /v2/{name: .+}/blobs/{digest: [^/]+}}); metrics and the request log show it as
 * {@code /v2/{name}/blobs/{digest}}. A parameter that only makes a slash optional ({@code {slash: /?}}) becomes
 * that slash, the spec's form of the path.
 */
public final class RouteTemplates {

    private static final Pattern PARAMETER = Pattern.compile("\\{\\s*(\\w+)\\s*:\\s*([^}]*)}");
    /**
     * Normalized once per template: every request is logged and measured by its route, and the regular expression
     * cost more than the rest of the request log line. The keys are the resource methods' declared paths, a few dozen.
     */
    private static final Cache<String, String> NORMALIZED = Caffeine.newBuilder().maximumSize(1_000).build();

    private RouteTemplates() {
    }

    public static String normalize(String template) {
        if (template.indexOf(':') < 0) {
            return template;
        }
        return NORMALIZED.get(template, RouteTemplates::withoutExpressions);
    }

    private static String withoutExpressions(String template) {
        Matcher parameter = PARAMETER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (parameter.find()) {
            String replacement = parameter.group(2).trim().equals("/?") ? "/" : "{" + parameter.group(1) + "}";
            parameter.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        parameter.appendTail(out);
        return out.toString();
    }
}
