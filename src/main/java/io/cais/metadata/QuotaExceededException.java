package io.cais.metadata;

/**
 * A link would have taken a namespace's stored bytes over its quota: the V10 trigger refused it (SQLSTATE CQ001) under
 * the lock of the namespace's usage row, and the transaction rolled back, leaving no link and no blob row.
 *
 * @param used      the namespace's stored bytes before the refused statement
 * @param requested the bytes the statement would have added
 */
public class QuotaExceededException extends RuntimeException {

    static final String SQL_STATE = "CQ001";

    private final String namespace;
    private final long limit;
    private final long used;
    private final long requested;

    QuotaExceededException(String namespace, long limit, long used, long requested) {
        super("namespace '" + namespace + "' is over its quota", null, false, false);
        this.namespace = namespace;
        this.limit = limit;
        this.used = used;
        this.requested = requested;
    }

    /** Reads the trigger's message (the namespace) and detail ("limit used requested"). */
    static QuotaExceededException fromTrigger(String namespace, String detail) {
        String[] numbers = detail.split(" ");
        return new QuotaExceededException(namespace, Long.parseLong(numbers[0]), Long.parseLong(numbers[1]),
                Long.parseLong(numbers[2]));
    }

    public String namespace() {
        return namespace;
    }

    public long limit() {
        return limit;
    }

    public long used() {
        return used;
    }

    public long requested() {
        return requested;
    }
}
