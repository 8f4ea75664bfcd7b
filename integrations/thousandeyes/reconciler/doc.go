// Package reconciler makes the ThousandEyes account match the tests declared in
// ConfigMaps, in passes. Each pass makes exactly one list call, then:
//
//   - identifies the tests this install owns by the marker it appends to their
//     description, "[meshprobe id=<namespace>/<configmap>/<name> hash=<sha>
//     install=<install>]", where <name> is the path-escaped testName, <sha>
//     hashes every managed field and <install> is Config.Install. A test is
//     owned only when the marker carries this install and names the test's own
//     testName (a copy cloned in the UI does not);
//   - gives each test name to one ConfigMap (owners.go): the one whose marker
//     the existing test carries, else the oldest declaring it; every other
//     declaration is a Conflict and writes nothing;
//   - creates declared tests that are missing, and PUTs (with every managed field)
//     owned tests whose hash or list-visible fields differ; unchanged tests cost
//     no write at all;
//   - adopts a test whose legacy marker (no install) names a ConfigMap that
//     declares it in this pass, by a PUT that writes this install's marker;
//   - deletes owned tests that are no longer declared only when pruning is asked
//     for (per ConfigMap with `prune: true`, or globally), never those of a
//     ConfigMap that currently fails to parse or is ignored;
//   - never touches a test without this install's marker, except that with
//     AdoptByURL an unmarked test whose URL matches exactly one declaration (and
//     no other declaration) is taken over by a PUT;
//   - aborts the whole pass, with zero writes, when the list call fails;
//   - in a ConfigMap with dryRun, records what it would do and writes nothing.
//
// Every write runs under the pass's context, and Config.Guard is asked right
// before each one: once the context ends (leadership lost) or the guard
// refuses, no further write of the pass starts.
//
// A create is never retried within a pass: a lost response is found by the next
// pass's list (the marker), so it cannot become a duplicate.
package reconciler
