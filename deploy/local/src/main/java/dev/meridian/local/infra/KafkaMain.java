package dev.meridian.local.infra;

import java.io.IOException;

/**
 * Entry point of the broker JVM. It runs {@code kafka.Kafka} and exits when its parent goes away (stdin closes), so a
 * killed launcher or test JVM never leaves an orphan broker behind. Only JDK types here: the broker's classpath holds
 * no Meridian dependencies.
 */
public final class KafkaMain {

    private KafkaMain() {
    }

    public static void main(String[] args) throws Exception {
        Thread parentWatch = new Thread(() -> {
            try {
                while (System.in.read() != -1) {
                    // the parent never writes; EOF means it is gone
                }
            } catch (IOException e) {
                // stdin broken: the parent is gone as well
            }
            System.exit(0);
        }, "parent-watch");
        parentWatch.setDaemon(true);
        parentWatch.start();
        Class.forName(args[0]).getMethod("main", String[].class)
                .invoke(null, (Object) java.util.Arrays.copyOfRange(args, 1, args.length));
    }
}
