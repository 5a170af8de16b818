package io.kaption.jobs.planning;

import java.util.List;

/**
 * One page of a job's input, planned in one transaction.
 *
 * @param records    the page's records, numbered on from the records planned before it
 * @param lastKey    images input: the last key listed (folder markers included), else null
 * @param byteOffset jsonl input: the manifest offset after the page's last line, else null
 * @param last       whether the input ends with this page
 */
record Page(List<PlannedRecord> records, String lastKey, Long byteOffset, boolean last) {
}
