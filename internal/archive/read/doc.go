// Package read is the read side of the archive, the one place that knows
// how what the job stored is read back:
//
//   - what a partition holds, from a listing of its folder (Stream.Walk,
//     Stream.Partition): its parts by number, each part's blobs by format
//     (most faithful first), and its manifest;
//   - how a stored part is opened and checked (Stream.Open): gzip, the
//     format's reader, every record in (time, id) order and inside its
//     partition, and, at the end, the SHA-256, size and record count of the
//     stored bytes against the blob's metadata (PartReader.Finish) and its
//     partition's manifest (Check.AgainstManifest);
//   - the (time, id) merge of a partition's parts (Merge), in which the last
//     version of a record met is its latest (the highest part's; inside one
//     part, the last in the part's order);
//   - when two versions of a record have the same content (Contents), with
//     a bound on the versions of one record compared (MaxVersions), so a
//     part holding a record many times costs neither memory nor quadratic
//     time;
//   - what a sealed partition must agree with in its manifest
//     (Partition.CheckManifest), what a job's state promises about coverage
//     (Owed) and which granularity a stream's archive is in (Granularity).
//
// The job (which deduplicates new records against the stored ones and
// seals partitions) and every command that reads the archive (export,
// verify, status) go through this package, so the writer and every checker
// agree by construction. Everything streams: a partition is never held in
// memory, only one record per part.
//
// The package sits beside the sinks, below the job: it imports archive,
// layout, format, manifest and state, never job, app or config.
package read
