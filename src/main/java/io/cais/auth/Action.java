package io.cais.auth;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** What a caller may do to a repository. */
public enum Action {
    PULL, PUSH, DELETE;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Action> parse(String value) {
        for (Action action : values()) {
            if (action.wire().equals(value)) {
                return Optional.of(action);
            }
        }
        return Optional.empty();
    }

    /** Parses a comma-separated list; {@code *} means every action; unknown words are ignored. */
    public static Set<Action> parseList(String value) {
        Set<Action> out = EnumSet.noneOf(Action.class);
        if (value == null) {
            return out;
        }
        for (String word : value.split(",")) {
            String trimmed = word.trim();
            if (trimmed.equals("*")) {
                out.addAll(EnumSet.allOf(Action.class));
            } else {
                parse(trimmed).ifPresent(out::add);
            }
        }
        return out;
    }

    public static String wireList(Set<Action> actions) {
        return String.join(",", actions.stream().sorted().map(Action::wire).toList());
    }
}
