// Package reconciler makes the ThousandEyes account match the tests declared in
// ConfigMaps, in passes. Each pass makes exactly one list call, then:
//
//   - identifies the tests it owns by the marker it appends to their description,
//     "[meshprobe id=<namespace>/<configmap>/<name> hash=<sha>]", where <name> is
//     the path-escaped testName and <sha> hashes every managed field;
//   - creates declared tests that are missing, and PUTs (with every managed field)
//     owned tests whose hash or list-visible fields differ; unchanged tests cost
//     no write at all;
//   - deletes owned tests that are no longer declared only when pruning is asked
//     for (per ConfigMap with `prune: true`, or globally), never those of a
//     ConfigMap that currently fails to parse;
//   - never touches a test without the marker, except that with AdoptByURL an
//     unmarked test whose URL matches exactly one declaration (and no other
//     declaration) is taken over by a PUT;
//   - aborts the whole pass, with zero writes, when the list call fails;
//   - in a ConfigMap with dryRun, records what it would do and writes nothing.
//
// A create is never retried within a pass: a lost response is found by the next
// pass's list (the marker), so it cannot become a duplicate.
package reconciler
