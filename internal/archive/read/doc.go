// Package read is the read side of the archive, the one place that knows
// how what the job stored is read back:
//
//   - what a partition holds, from a listing (Stream.Walk, Partition, Day):
//     its parts by number, each part's blobs most faithful format first,
//     and its manifest;
//   - how a part is opened and checked (Stream.Open): gzip, the format's
//     reader, records in (time, id) order inside their partition, then the
//     SHA-256, size and count of the stored bytes against the metadata
//     (PartReader.Finish) and the manifest (Check.AgainstManifest,
//     Stream.ReadSeal, Stream.CheckSeal);
//   - the (time, id) merge of a partition's parts (Merge), in which a
//     record's last version is its latest: the highest part's and, inside
//     one part, the last in the part's order;
//   - when two versions of a record have the same content (Contents),
//     compared in a set bounded by MaxVersions, so a part holding one
//     record many times costs neither memory nor quadratic time; a part
//     holding more than MaxVersions records of one time and id is damaged;
//   - what a job's state promises of a partition (Needs) and which
//     granularity a stream's archive is in (Stream.Granularity).
//
// The job (deduplicating new records against the stored ones, repairing,
// sealing) and every command that reads the archive (export, verify,
// status) go through it, so the writer and every checker agree by
// construction. It streams: one record per part is held, never a
// partition. It imports archive, layout, format, manifest and state, never
// job, app or config.
package read
