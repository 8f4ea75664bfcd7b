{{/*
Helm's labels: the only labels this chart adds to those of manifests/ (the chart
test strips exactly these four when it compares the chart with kustomize). They
go on objects' metadata only, never on selectors or the pod template, so an
upgrade to a new chart version does not restart the control plane.
*/}}
{{- define "meshprobe.helmLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}

{{/* The labels of the control plane's objects. */}}
{{- define "meshprobe.labels" -}}
app.kubernetes.io/name: meshprobe-webhook
app.kubernetes.io/part-of: meshprobe
{{ include "meshprobe.helmLabels" . }}
{{- end }}

{{/* The labels of objects that belong to meshprobe but not to the webhook Deployment. */}}
{{- define "meshprobe.partOfLabels" -}}
app.kubernetes.io/part-of: meshprobe
{{ include "meshprobe.helmLabels" . }}
{{- end }}

{{/* The pod selector of the control plane. */}}
{{- define "meshprobe.selector" -}}
app.kubernetes.io/name: meshprobe-webhook
{{- end }}

{{/* The ServiceAccount as the apiserver names it in requests (the policies' matchConditions). */}}
{{- define "meshprobe.serviceAccountUser" -}}
system:serviceaccount:{{ .Values.namespace }}:meshprobe
{{- end }}

{{/* The subject of every binding: meshprobe's ServiceAccount. */}}
{{- define "meshprobe.subjects" -}}
subjects:
  - kind: ServiceAccount
    name: meshprobe
    namespace: {{ .Values.namespace }}
{{- end }}

{{/* true when the leader mints the webhook's certificate (certificates.mode builtin). */}}
{{- define "meshprobe.builtinCerts" -}}
{{- if eq .Values.certificates.mode "builtin" }}true{{ else if eq .Values.certificates.mode "cert-manager" }}false{{ else }}
{{- fail (printf "certificates.mode must be cert-manager or builtin, not %q" .Values.certificates.mode) }}
{{- end }}
{{- end }}

{{/*
A flag's value from webhook.flags, or the default given (the binary's, for the
flags the chart's ports and mounts follow).
*/}}
{{- define "meshprobe.flag" -}}
{{- $v := index .flags .name -}}
{{- if kindIs "invalid" $v }}{{ .default }}{{ else }}{{ include "meshprobe.flagText" $v }}{{ end }}
{{- end }}

{{/*
A flag value as its command-line text: whole numbers without an exponent, lists
comma-separated (as the --config file takes them), mappings as JSON
(--sidecar-defaults).
*/}}
{{- define "meshprobe.flagText" -}}
{{- if or (kindIs "float64" .) (kindIs "float32" .) }}
{{- if eq (floor .) . }}{{ int64 . }}{{ else }}{{ . }}{{ end }}
{{- else if kindIs "slice" . }}{{ join "," . }}
{{- else if kindIs "map" . }}{{ toJson . }}
{{- else }}{{ . }}
{{- end }}
{{- end }}

{{/* The port of a listen address such as ":8080", or "" when it is disabled ("0"). */}}
{{- define "meshprobe.addrPort" -}}
{{- $p := regexFind "[0-9]+$" . -}}
{{- if and $p (ne $p "0") }}{{ $p }}{{ end }}
{{- end }}

{{/*
The webhook's arguments: first those of manifests/base (in its order), then every
other flag set in webhook.flags (sorted), the sidecar image, and last what the
toggles add, as the overlays append them (builtin-certs, then repair).
*/}}
{{- define "meshprobe.args" -}}
{{- $flags := .Values.webhook.flags -}}
{{- range $name, $by := dict "namespace" "namespace" "sidecar-image" "sidecar.image" "sidecar-image-pull-policy" "sidecar.image.pullPolicy" "webhook-certs" "certificates.mode" "repair-missed" "repair.enabled" }}
{{- if hasKey $flags $name }}
{{- fail (printf "webhook.flags.%s: set it through the value %s" $name $by) }}
{{- end }}
{{- end }}
{{- $first := list "cert-dir" "webhook-port" "metrics-bind-address" "health-probe-bind-address" "log-format" -}}
{{- $args := list -}}
{{- range $first }}
{{- $v := index $flags . }}
{{- if not (kindIs "invalid" $v) }}
{{- $args = append $args (printf "--%s=%s" . (include "meshprobe.flagText" $v)) }}
{{- end }}
{{- end }}
{{- range $name := keys $flags | sortAlpha }}
{{- $v := index $flags $name }}
{{- if and (not (has $name $first)) (not (kindIs "invalid" $v)) }}
{{- $args = append $args (printf "--%s=%s" $name (include "meshprobe.flagText" $v)) }}
{{- end }}
{{- end }}
{{- with .Values.sidecar.image }}
{{- if or .repository .tag }}
{{- $args = append $args (printf "--sidecar-image=%s:%s" (.repository | default "ghcr.io/meshprobe/meshprobe-sidecar") (.tag | default $.Values.webhook.image.tag)) }}
{{- end }}
{{- with .pullPolicy }}
{{- $args = append $args (printf "--sidecar-image-pull-policy=%s" .) }}
{{- end }}
{{- end }}
{{- if eq (include "meshprobe.builtinCerts" .) "true" }}
{{- $args = append $args "--webhook-certs=builtin" }}
{{- end }}
{{- if .Values.repair.enabled }}
{{- $args = append $args "--repair-missed=restart" }}
{{- end }}
{{- toYaml $args }}
{{- end }}

{{/*
The label of the ConfigMaps the ThousandEyes sync may annotate (the policy
meshprobe-configmaps), from --thousandeyes-selector, which must then be one
key=value.
*/}}
{{- define "meshprobe.thousandEyesLabel" -}}
{{- $sel := include "meshprobe.flag" (dict "flags" .Values.webhook.flags "name" "thousandeyes-selector" "default" "app=thousandeyes-tests") -}}
{{- $kv := regexFindAll "^([A-Za-z0-9._/-]+)=([A-Za-z0-9._-]*)$" $sel 1 -}}
{{- if not $kv }}
{{- fail (printf "webhook.flags.thousandeyes-selector %q: the chart's ConfigMap policy needs one key=value label" $sel) }}
{{- end -}}
key: {{ regexReplaceAll "=.*$" $sel "" | quote }}
value: {{ regexReplaceAll "^[^=]*=" $sel "" | quote }}
{{- end }}

{{/*
The control plane's ports, from the flags that set them (the binary's defaults
when they are not set); "" for a listener the flags disable.
*/}}
{{- define "meshprobe.ports" -}}
{{- $f := .Values.webhook.flags -}}
webhook: {{ include "meshprobe.flag" (dict "flags" $f "name" "webhook-port" "default" "9443") | quote }}
metrics: {{ include "meshprobe.addrPort" (include "meshprobe.flag" (dict "flags" $f "name" "metrics-bind-address" "default" ":8080")) | quote }}
probes: {{ include "meshprobe.addrPort" (include "meshprobe.flag" (dict "flags" $f "name" "health-probe-bind-address" "default" ":8081")) | quote }}
heartbeat: {{ include "meshprobe.addrPort" (include "meshprobe.flag" (dict "flags" $f "name" "heartbeat-addr" "default" ":8082")) | quote }}
view: {{ include "meshprobe.addrPort" (include "meshprobe.flag" (dict "flags" $f "name" "view-addr" "default" ":8083")) | quote }}
gossip: {{ include "meshprobe.flag" (dict "flags" $f "name" "gossip-port" "default" "14100") | quote }}
{{- end }}
