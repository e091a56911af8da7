{{/* Names, labels and the pieces the worker and the bot share. */}}

{{- define "netpol.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* <release>-netpol, or the release name when it already contains the chart's name. */}}
{{- define "netpol.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "netpol.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "netpol.selectorLabels" -}}
app.kubernetes.io/name: {{ include "netpol.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "netpol.labels" -}}
helm.sh/chart: {{ include "netpol.chart" . }}
{{ include "netpol.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: netpol
{{- end }}

{{- define "netpol.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (printf "%s-worker" (include "netpol.fullname" .)) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "netpol.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The cluster name, checked as loadWorkerConfig checks it (a DNS-1123 label). */}}
{{- define "netpol.cluster" -}}
{{- $cluster := required "cluster is required: the name the bot knows this cluster by (--set cluster=prod)" .Values.cluster }}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$" $cluster) }}
{{- fail (printf "cluster %q is not a valid cluster name (lower-case letters, digits and \"-\", at most 63)" $cluster) }}
{{- end }}
{{- $cluster }}
{{- end }}

{{- define "netpol.redisSecretName" -}}
{{- if .Values.redis.existingSecret }}
{{- .Values.redis.existingSecret }}
{{- else if .Values.redis.url }}
{{- printf "%s-redis" (include "netpol.fullname" .) }}
{{- else }}
{{- fail "redis.url or redis.existingSecret is required: the Redis the bot and the workers share" }}
{{- end }}
{{- end }}

{{/* REDIS_URL, NETPOL_PREFIX and LOG_LEVEL: what the bot and the worker both read. */}}
{{- define "netpol.commonEnv" -}}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "netpol.redisSecretName" . }}
      key: {{ if .Values.redis.existingSecret }}{{ .Values.redis.existingSecretKey }}{{ else }}REDIS_URL{{ end }}
{{- with .Values.prefix }}
- name: NETPOL_PREFIX
  value: {{ . | quote }}
{{- end }}
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- end }}

{{- define "netpol.agentServiceAccountName" -}}
{{- if .Values.agent.serviceAccount.create }}
{{- default (printf "%s-agent" (include "netpol.fullname" .)) .Values.agent.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.agent.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* NETPOL_METRICS_PORT and NETPOL_METRICS_HOST: where the bot and a worker serve /metrics. */}}
{{- define "netpol.metricsEnv" -}}
- name: NETPOL_METRICS_PORT
  value: {{ .Values.metrics.port | quote }}
{{- with .Values.metrics.host }}
- name: NETPOL_METRICS_HOST
  value: {{ . | quote }}
{{- end }}
{{- end }}
