{{/* Names and labels. */}}
{{- define "t2i.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "t2i.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "gateway") */}}
{{- define "t2i.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "t2i.kafkaBootstrap" -}}
{{- if .Values.kafka.strimzi.enabled -}}
{{ .Values.kafka.strimzi.clusterName }}-kafka-bootstrap:9092
{{- else -}}
{{ .Values.kafka.bootstrapServers }}
{{- end -}}
{{- end -}}

{{/* The stage's consumer group; the services name theirs t2i-<stage>. */}}
{{- define "t2i.consumerGroup" -}}
t2i-{{ . }}
{{- end -}}

{{/*
One t2i service: (dict "root" $ "component" "diffusion" "module" "diffusion-worker"
"values" .Values.diffusion "gpu" bool "models" bool "ports" list "env" dict "readiness" dict
"volumes" list "mounts" list "configFiles" list "podAnnotations" dict "autoscaled" bool)
A service with "models" mounts the models volume and reads the ConfigMap's models.properties;
every service reads its application.properties, then the settings files in "configFiles" (paths in
its "mounts"). A service refuses a t2i.* key it does not read, so each gets only its own.
*/}}
{{- define "t2i.deployment" -}}
{{- $root := .root -}}
{{- $v := .values -}}
{{- $gpu := .gpu -}}
{{- $fullname := include "t2i.fullname" $root -}}
{{- $tag := default $root.Chart.AppVersion $root.Values.image.tag -}}
{{- $locations := list "/etc/t2i/config/application.properties" -}}
{{- if .models -}}
{{- $locations = append $locations "/etc/t2i/config/models.properties" -}}
{{- end -}}
{{- range .configFiles -}}
{{- $locations = append $locations . -}}
{{- end -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $fullname }}-{{ .component }}
  labels:
    {{- include "t2i.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  {{- if not .autoscaled }}
  replicas: {{ $v.replicas }}
  {{- end }}
  revisionHistoryLimit: 3
  selector:
    matchLabels:
      {{- include "t2i.selectorLabels" (dict "root" $root "component" .component) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "t2i.selectorLabels" (dict "root" $root "component" .component) | nindent 8 }}
      annotations:
        checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
        {{- if $root.Values.observability.prometheusAnnotations }}
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ $v.managementPort | quote }}
        prometheus.io/path: /q/metrics
        {{- end }}
        {{- with .podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      containers:
        - name: {{ .module }}
          image: "{{ $root.Values.image.registry }}/t2i-{{ .module }}{{ if $gpu }}-gpu{{ end }}:{{ $tag }}"
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          ports:
            {{- range .ports }}
            - name: {{ .name }}
              containerPort: {{ .port }}
              protocol: TCP
            {{- end }}
            - name: management
              containerPort: {{ $v.managementPort }}
              protocol: TCP
          env:
            - name: QUARKUS_CONFIG_LOCATIONS
              value: {{ join "," $locations | quote }}
            {{- if .models }}
            # DJL stays offline and keeps its caches in the pod's writable /tmp.
            - name: DJL_CACHE_DIR
              value: /tmp/djl
            - name: ENGINE_CACHE_DIR
              value: /tmp/djl
            - name: OPT_OUT_TRACKING
              value: "true"
            {{- end }}
            # Static group membership: a restarted pod takes its partitions back at once.
            - name: T2I_KAFKA_GROUP_INSTANCE_ID
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            - name: T2I_MANAGEMENT_PORT
              value: {{ $v.managementPort | quote }}
            - name: T2I_LOG_JSON
              value: {{ $root.Values.observability.jsonLogs | quote }}
            {{- with $root.Values.observability.otlpEndpoint }}
            - name: QUARKUS_OTEL_SDK_DISABLED
              value: "false"
            - name: QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT
              value: {{ . | quote }}
            {{- end }}
            {{- if $root.Values.redis.existingSecret }}
            - name: T2I_REDIS_URL
              valueFrom:
                secretKeyRef:
                  name: {{ $root.Values.redis.existingSecret }}
                  key: url
            {{- end }}
            {{- range $name, $value := .env }}
            - name: {{ $name }}
              {{- if kindIs "map" $value }}
              valueFrom:
                {{- toYaml $value | nindent 16 }}
              {{- else }}
              value: {{ $value | quote }}
              {{- end }}
            {{- end }}
            {{- range $name, $value := $v.extraEnv }}
            - name: {{ $name }}
              value: {{ $value | quote }}
            {{- end }}
          startupProbe:
            # Loading models can take minutes on a cold node.
            httpGet:
              path: /q/health/started
              port: management
            periodSeconds: 5
            failureThreshold: 120
          livenessProbe:
            httpGet:
              path: /q/health/live
              port: management
            periodSeconds: 10
            failureThreshold: 3
          readinessProbe:
            {{- toYaml .readiness | nindent 12 }}
          resources:
            {{- $resources := deepCopy $v.resources }}
            {{- if $gpu }}
            {{- $limits := default dict $resources.limits }}
            {{- $_ := set $limits "nvidia.com/gpu" $v.gpu.count }}
            {{- $_ := set $resources "limits" $limits }}
            {{- end }}
            {{- toYaml $resources | nindent 12 }}
          volumeMounts:
            {{- if .models }}
            - name: models
              mountPath: /models
              readOnly: true
            {{- end }}
            - name: tmp
              mountPath: /tmp
            - name: config
              mountPath: /etc/t2i/config
              readOnly: true
            {{- with .mounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        {{- if .models }}
        - name: models
          {{- toYaml $root.Values.models.volume | nindent 10 }}
        {{- end }}
        - name: tmp
          emptyDir: {}
        - name: config
          configMap:
            name: {{ $fullname }}-config
        {{- with .volumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- $nodeSelector := $v.nodeSelector }}
      {{- $tolerations := $v.tolerations }}
      {{- if $gpu }}
      {{- $nodeSelector = merge (deepCopy $v.nodeSelector) $v.gpu.nodeSelector }}
      {{- $tolerations = concat $v.tolerations $v.gpu.tolerations }}
      {{- end }}
      {{- with $nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}

{{/* The HTTP readiness probe of a worker on its management port. */}}
{{- define "t2i.httpReadiness" -}}
httpGet:
  path: /q/health/ready
  port: management
periodSeconds: 5
failureThreshold: 3
{{- end -}}

{{/*
A KEDA ScaledObject on a stage's consumer lag:
(dict "root" $ "component" "diffusion" "stage" "diffusion-worker" "topic" "t2i.encoded" "values" ...)
*/}}
{{- define "t2i.scaledObject" -}}
{{- $root := .root -}}
{{- $a := .values.autoscaling -}}
{{- if gt (int $a.maxReplicas) (int $root.Values.kafka.topicPartitions) -}}
{{- fail (printf "%s.autoscaling.maxReplicas (%d) is above kafka.topicPartitions (%d): replicas beyond the partitions of %s would idle" .component (int $a.maxReplicas) (int $root.Values.kafka.topicPartitions) .topic) -}}
{{- end -}}
{{- $fullname := include "t2i.fullname" $root -}}
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: {{ $fullname }}-{{ .component }}
  labels:
    {{- include "t2i.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  scaleTargetRef:
    name: {{ $fullname }}-{{ .component }}
  pollingInterval: {{ $root.Values.keda.pollingInterval }}
  cooldownPeriod: {{ default 300 $a.cooldownPeriod }}
  minReplicaCount: {{ if $a.scaleToZero }}0{{ else }}{{ $a.minReplicas }}{{ end }}
  maxReplicaCount: {{ $a.maxReplicas }}
  triggers:
    - type: kafka
      metadata:
        bootstrapServers: {{ include "t2i.kafkaBootstrap" $root | quote }}
        consumerGroup: {{ include "t2i.consumerGroup" .stage | quote }}
        topic: {{ .topic | quote }}
        lagThreshold: {{ $a.lagThreshold | quote }}
        activationLagThreshold: {{ default 1 $a.activationLagThreshold | quote }}
        offsetResetPolicy: earliest
        allowIdleConsumers: "false"
      {{- with $root.Values.keda.authenticationRef }}
      authenticationRef:
        name: {{ . }}
      {{- end }}
{{- end -}}

{{/* A PodDisruptionBudget: (dict "root" $ "component" "gateway" "pdb" .Values.gateway.pdb) */}}
{{- define "t2i.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "t2i.fullname" .root }}-{{ .component }}
  labels:
    {{- include "t2i.labels" .root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  {{- toYaml .pdb | nindent 2 }}
  selector:
    matchLabels:
      {{- include "t2i.selectorLabels" (dict "root" .root "component" .component) | nindent 6 }}
{{- end -}}

{{/*
The notifier's signing secrets as a settings file, one line a secret; empty when none is set.
Refuses a tenant or a secret the file cannot carry as given.
*/}}
{{- define "t2i.notifierSigningSecrets" -}}
{{- $n := .Values.notifier -}}
{{- $lines := list -}}
{{- with $n.defaultSigningSecret -}}
{{- $_ := include "t2i.checkSigningSecret" (dict "name" "notifier.defaultSigningSecret" "secret" .) -}}
{{- $lines = append $lines (printf "t2i.notifier.default-signing-secret=%s" (toString .)) -}}
{{- end -}}
{{- range $tenant, $secret := $n.signingSecrets -}}
{{- if not (regexMatch "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$" $tenant) -}}
{{- fail (printf "notifier.signingSecrets: %q is not a tenant name: letters, digits, '.', '_' or '-', up to 64, starting with a letter or digit (as in gateway.auth.keys)" $tenant) -}}
{{- end -}}
{{- $_ := include "t2i.checkSigningSecret" (dict "name" (printf "notifier.signingSecrets.%s" $tenant) "secret" $secret) -}}
{{- $lines = append $lines (printf "t2i.notifier.signing-secrets.\"%s\"=%s" $tenant (toString $secret)) -}}
{{- end -}}
{{- join "\n" $lines -}}
{{- end -}}

{{/* Refuses a signing secret a settings file would change: (dict "name" "..." "secret" ...) */}}
{{- define "t2i.checkSigningSecret" -}}
{{- if not (regexMatch `^[!-#%-\[\]-~]+$` (toString .secret)) -}}
{{- fail (printf "%s must be printable ASCII without spaces, '$' or '\\' (e.g. openssl rand -hex 32)" .name) -}}
{{- end -}}
{{- end -}}
