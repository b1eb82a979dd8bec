package io.cais.metadata.postgres;

/**
 * Something a replica keeps in memory that other replicas can change through PostgreSQL: it names the channel
 * its triggers notify, and hears each notification and the state of the connection {@link ChangeListener} holds.
 */
public interface ChangeSubscriber {

    /** The channel this subscriber's triggers {@code pg_notify}. */
    String channel();

    /** One notification on the channel, with its payload. */
    void notified(String payload);

    /** The listener listens (again): changes may have been missed meanwhile, so start from nothing. */
    void listening();

    /** The listener lost its connection: stop trusting what is remembered until {@link #listening()}. */
    void deaf();
}
