package io.cais.metadata;

import java.sql.SQLException;

/**
 * A row this statement refers to (a repository, a manifest) was deleted by a transaction that committed after this
 * one checked it. Stores turn it into the 404 or 409 the request deserves; it never reaches a client as a 500.
 */
class VanishedRowException extends RuntimeException {

    VanishedRowException(SQLException cause) {
        super(cause.getMessage(), cause);
    }
}
