package io.cais.metadata;

/**
 * The garbage collector decided to delete this blob and is deleting (or about to delete) its stored object: an upload
 * of the same digest must wait until it is done and store the object again. Nothing was written.
 */
public class BlobBeingCollectedException extends RuntimeException {

    public BlobBeingCollectedException(String digest) {
        super("blob " + digest + " is being garbage collected");
    }
}
