package migrate

import (
	"os"
	"path/filepath"
	"testing"
)

// fuzzConvert fuzzes the parser of one source: any input either fails with
// an error or gives output whose every object passes assertObjects (every
// check list passes spec.Parse).
func fuzzConvert(f *testing.F, src Source) {
	files, _ := filepath.Glob(filepath.Join("testdata", string(src), "*.yaml"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ConvertBytes(src, data, Options{})
		if err != nil {
			return
		}
		assertObjects(t, res.YAML)
	})
}

func FuzzEpsitter(f *testing.F)       { fuzzConvert(f, SourceEpsitter) }
func FuzzSyntheticHeart(f *testing.F) { fuzzConvert(f, SourceSyntheticHeart) }
func FuzzNetworkProber(f *testing.F)  { fuzzConvert(f, SourceNetworkProber) }
