package dev.meridian.inference.usage.service;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Another instance sharing the journal, as a process of its own: can it lock this file? Prints "locked" or "refused". */
public final class LockProbe {

    private LockProbe() {
    }

    public static void main(String[] args) throws Exception {
        try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            System.out.print(lock != null ? "locked" : "refused");
        }
    }
}
