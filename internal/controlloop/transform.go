package controlloop

import "k8s.io/apimachinery/pkg/api/meta"

// StripManagedFields is an informer transform (informers.WithTransform,
// SharedIndexInformer.SetTransform) that drops metadata.managedFields: no
// controller here reads them, and they are often the largest part of a cached
// object. An update sent from a cached copy still leaves the server's
// managedFields as they are: the API server keeps them when a request omits
// them. Objects without metadata pass through unchanged.
func StripManagedFields(obj any) (any, error) {
	if a, err := meta.Accessor(obj); err == nil {
		a.SetManagedFields(nil)
	}
	return obj, nil
}
