package install

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
)

// FieldManager is the server-side-apply field manager of installed objects.
const FieldManager = "meshprobe-localcluster"

// annotationInjectCA is cert-manager's cainjector annotation.
const annotationInjectCA = "cert-manager.io/inject-ca-from"

// Options configures Apply.
type Options struct {
	// CA signs the serving certificates that stand in for cert-manager's; required
	// when the objects include Certificates or inject-ca-from annotations.
	CA *controlplane.CA
	// Logger reports skipped objects.
	Logger *slog.Logger
}

// Apply installs objs into the cluster behind cfg, as described in the package doc.
func Apply(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured, opts Options) error {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	cfg = rest.CopyConfig(cfg)
	cfg.WarningHandler = warningLogger{opts.Logger}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return fmt.Errorf("install: %w", err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("install: %w", err)
	}
	objs, err = standInForCertManager(objs, opts.CA)
	if err != nil {
		return err
	}
	sort.SliceStable(objs, func(i, j int) bool { return kindOrder(objs[i]) < kindOrder(objs[j]) })
	for _, o := range objs {
		if err := applyOne(ctx, dyn, mapper, o, opts.Logger); err != nil {
			return err
		}
	}
	return nil
}

func applyOne(ctx context.Context, dyn dynamic.Interface, mapper meta.RESTMapper, o *unstructured.Unstructured, log *slog.Logger) error {
	gvk := o.GroupVersionKind()
	m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		log.Info("skipping object: the cluster does not serve its kind", "kind", gvk.String(), "name", o.GetName())
		return nil
	}
	if err != nil {
		return fmt.Errorf("install: %s %s: %w", gvk.Kind, o.GetName(), err)
	}
	data, err := json.Marshal(o.Object)
	if err != nil {
		return err
	}
	var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := o.GetNamespace()
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		ri = dyn.Resource(m.Resource).Namespace(ns)
	}
	_, err = ri.Patch(ctx, o.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: FieldManager, Force: ptrTrue()})
	if err != nil {
		return fmt.Errorf("install: applying %s %s/%s: %w", gvk.Kind, o.GetNamespace(), o.GetName(), err)
	}
	return nil
}

// standInForCertManager swaps Certificates for the TLS Secrets they would produce,
// drops Issuers, and fills the caBundle that cainjector would fill.
func standInForCertManager(objs []*unstructured.Unstructured, ca *controlplane.CA) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		if gvk.Group != cmapi.SchemeGroupVersion.Group {
			if o.GetAnnotations()[annotationInjectCA] != "" {
				if ca == nil {
					return nil, fmt.Errorf("install: %s %s wants a CA bundle but no CA was given", gvk.Kind, o.GetName())
				}
				injectCABundle(o, ca.CertPEM)
			}
			out = append(out, o)
			continue
		}
		if gvk.Kind != cmapi.CertificateKind {
			continue // Issuer, ClusterIssuer: nothing to stand in for
		}
		if ca == nil {
			return nil, fmt.Errorf("install: Certificate %s needs a CA but none was given", o.GetName())
		}
		secret, err := certificateSecret(o, ca)
		if err != nil {
			return nil, err
		}
		out = append(out, secret)
	}
	return out, nil
}

func certificateSecret(o *unstructured.Unstructured, ca *controlplane.CA) (*unstructured.Unstructured, error) {
	var cert cmapi.Certificate
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &cert); err != nil {
		return nil, fmt.Errorf("install: Certificate %s: %w", o.GetName(), err)
	}
	var ips []net.IP
	for _, s := range cert.Spec.IPAddresses {
		if ip := net.ParseIP(s); ip != nil {
			ips = append(ips, ip)
		}
	}
	cn := cert.Spec.CommonName
	if cn == "" && len(cert.Spec.DNSNames) > 0 {
		cn = cert.Spec.DNSNames[0]
	}
	kp, err := ca.IssueServing(cn, cert.Spec.DNSNames, ips, 90*24*time.Hour)
	if err != nil {
		return nil, fmt.Errorf("install: Certificate %s: %w", o.GetName(), err)
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
		"metadata": map[string]any{
			"name": cert.Spec.SecretName, "namespace": o.GetNamespace(),
			"annotations": map[string]any{"cert-manager.io/certificate-name": o.GetName(), "meshprobe.io/issued-by": FieldManager},
		},
		"data": map[string]any{
			"tls.crt": base64.StdEncoding.EncodeToString(kp.CertPEM),
			"tls.key": base64.StdEncoding.EncodeToString(kp.KeyPEM),
			"ca.crt":  base64.StdEncoding.EncodeToString(ca.CertPEM),
		},
	}}, nil
}

func injectCABundle(o *unstructured.Unstructured, caPEM []byte) {
	hooks, ok, _ := unstructured.NestedSlice(o.Object, "webhooks")
	if !ok {
		return
	}
	for _, h := range hooks {
		if hm, ok := h.(map[string]any); ok {
			_ = unstructured.SetNestedField(hm, base64.StdEncoding.EncodeToString(caPEM), "clientConfig", "caBundle")
		}
	}
	_ = unstructured.SetNestedSlice(o.Object, hooks, "webhooks")
}

var order = map[string]int{
	"Namespace": 0, "CustomResourceDefinition": 1, "ServiceAccount": 2, "ClusterRole": 3, "ClusterRoleBinding": 4,
	"Role": 5, "RoleBinding": 6, "ConfigMap": 7, "Secret": 8, "Service": 9,
	"MutatingWebhookConfiguration": 20, "ValidatingWebhookConfiguration": 20,
}

func kindOrder(o *unstructured.Unstructured) int {
	if v, ok := order[o.GetKind()]; ok {
		return v
	}
	return 10
}

func ptrTrue() *bool { t := true; return &t }

// warningLogger sends apiserver warnings (e.g. PodSecurity) to the logger.
type warningLogger struct{ log *slog.Logger }

func (w warningLogger) HandleWarningHeader(_ int, _ string, text string) {
	w.log.Warn("apiserver warning while installing", "warning", text)
}
