package io.cais.auth;

import java.util.ArrayList;
import java.util.List;

/**
 * A robot's repository pattern: {@code *} matches any run of characters (slashes included), {@code ?} exactly
 * one. Matched without regular expressions or backtracking: the literal pieces between stars are found left to
 * right, each at its first possible place, which is exact for star globs and costs at most one pass over the
 * name per piece. Patterns are parsed once; creation caps their wildcards ({@link #MAX_WILDCARDS}).
 */
public final class Glob {

    public static final int MAX_WILDCARDS = 8;

    /** The literal pieces (where {@code ?} stands for any one character), split at each {@code *}. */
    private final List<String> pieces;
    private final boolean leadingStar;
    private final boolean trailingStar;

    private Glob(List<String> pieces, boolean leadingStar, boolean trailingStar) {
        this.pieces = pieces;
        this.leadingStar = leadingStar;
        this.trailingStar = trailingStar;
    }

    public static Glob parse(String pattern) {
        List<String> pieces = new ArrayList<>();
        for (String piece : pattern.split("\\*+", -1)) {
            pieces.add(piece);
        }
        // "a*b" -> [a, b]; "*a" -> ["", a]; "a*" -> [a, ""]; "*" -> ["", ""]; "a" -> [a].
        boolean leading = pieces.size() > 1 && pieces.getFirst().isEmpty();
        boolean trailing = pieces.size() > 1 && pieces.getLast().isEmpty();
        pieces.removeIf(String::isEmpty);
        return new Glob(List.copyOf(pieces), leading, trailing);
    }

    /** How many {@code *} and {@code ?} the pattern has. */
    public static long wildcards(String pattern) {
        return pattern.chars().filter(c -> c == '*' || c == '?').count();
    }

    public boolean matches(String name) {
        boolean starred = leadingStar || trailingStar || pieces.size() > 1;
        if (!starred) {
            return pieces.isEmpty() ? name.isEmpty() : pieces.getFirst().length() == name.length() && at(name, 0, pieces.getFirst());
        }
        int position = 0;
        int end = name.length();
        int first = 0;
        int last = pieces.size();
        if (!leadingStar) {
            String head = pieces.getFirst();
            if (!at(name, 0, head)) {
                return false;
            }
            position = head.length();
            first = 1;
        }
        if (!trailingStar && last > first) {
            String tail = pieces.getLast();
            if (tail.length() > end - position || !at(name, end - tail.length(), tail)) {
                return false;
            }
            end -= tail.length();
            last--;
        }
        for (int i = first; i < last; i++) {
            int found = find(name, position, end, pieces.get(i));
            if (found < 0) {
                return false;
            }
            position = found + pieces.get(i).length();
        }
        return true;
    }

    /** The first index in [from, to) where the piece matches entirely before {@code to}, or -1. */
    private static int find(String name, int from, int to, String piece) {
        for (int start = from; start + piece.length() <= to; start++) {
            if (at(name, start, piece)) {
                return start;
            }
        }
        return -1;
    }

    private static boolean at(String name, int start, String piece) {
        if (start < 0 || start + piece.length() > name.length()) {
            return false;
        }
        for (int i = 0; i < piece.length(); i++) {
            char p = piece.charAt(i);
            if (p != '?' && p != name.charAt(start + i)) {
                return false;
            }
        }
        return true;
    }
}
