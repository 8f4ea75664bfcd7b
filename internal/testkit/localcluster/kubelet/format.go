package kubelet

import (
	"sort"
	"strconv"
)

// formatMap renders labels or annotations exactly as the kubelet's Downward API
// does (k8s.io/kubernetes/pkg/fieldpath.FormatMap): sorted `key="value"` lines,
// values Go-quoted, no trailing newline.
func formatMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var dst []byte
	for _, key := range keys {
		if len(dst) > 0 {
			dst = append(dst, '\n')
		}
		dst = append(dst, key...)
		dst = append(dst, '=')
		dst = strconv.AppendQuote(dst, m[key])
	}
	return string(dst)
}
