package t2i.client;

/** One line of the tokenization table, whether it came from a gateway or a local vocabulary. */
record TokenRow(
    int id,
    String text,
    boolean byteFragment,
    float weight,
    int chunk,
    int position,
    boolean cutOff) {}
