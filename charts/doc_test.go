// Package charts_test tests the Helm chart charts/meshprobe with the Helm Go
// module (no helm binary): it passes Helm's lint with each toggle; with default
// values it renders the objects of `kubectl kustomize manifests/` field for field
// (apart from Helm's labels) and with each toggle those of the matching overlay;
// values.yaml documents every flag of meshprobe-webhook (`go test ./charts -update`
// regenerates that list and the chart's copies of the monitoring and agents files);
// the agents follow the namespace, image and port values; and the
// rendered chart applies to a real kube-apiserver, as does a Helm install.
package charts_test
