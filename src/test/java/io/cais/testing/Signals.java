package io.cais.testing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Signals to processes a test started, by their ids: freeze (SIGSTOP) and thaw (SIGCONT) a dependency as a network
 * partition would, or kill it (SIGKILL) as a crash would. A PostgreSQL server is a tree of processes (postmaster
 * and one backend per connection), so a tree is signalled as a whole: its root and every descendant.
 */
public final class Signals {

    private Signals() {
    }

    public static void freeze(long rootPid) throws IOException, InterruptedException {
        signal("STOP", tree(rootPid));
    }

    public static void thaw(long rootPid) throws IOException, InterruptedException {
        signal("CONT", tree(rootPid));
    }

    public static void kill(long rootPid) throws IOException, InterruptedException {
        signal("KILL", tree(rootPid));
    }

    /** SIGKILL to a whole process group (a process started through {@code setsid} leads its own). */
    public static void killGroup(long groupId) throws IOException, InterruptedException {
        run("kill", "-KILL", "--", "-" + groupId);
    }

    private static List<Long> tree(long rootPid) {
        List<Long> pids = new ArrayList<>();
        pids.add(rootPid);
        ProcessHandle.of(rootPid).ifPresent(root -> root.descendants().forEach(child -> pids.add(child.pid())));
        return pids;
    }

    private static void signal(String signal, List<Long> pids) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
        pids.forEach(pid -> command.add(String.valueOf(pid)));
        run(command.toArray(String[]::new));
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(kill.getInputStream().readAllBytes());
        if (kill.waitFor() != 0 && !output.contains("No such process")) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
    }
}
