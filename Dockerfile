# The one image every service runs (`tagen serve <context>`), built from the same sources.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/tagen
ENV PATH=/opt/tagen/bin:$PATH
COPY pyproject.toml README.md ./
COPY services services
COPY protos protos
RUN pip install --no-cache-dir . grpcio-tools \
 && SITE=$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
 && cp "$SITE/google/api/annotations.proto" "$SITE/google/api/http.proto" -t protos/google/api 2>/dev/null \
  || (mkdir -p protos/google/api && cp "$SITE/google/api/annotations.proto" "$SITE/google/api/http.proto" protos/google/api/) \
 && cd protos && python -m grpc_tools.protoc -I . --python_out="$SITE" --grpc_python_out="$SITE" \
      $(find tagen -name '*.proto') \
 && pip uninstall -y grpcio-tools

FROM python:3.11-slim
# libmagic: splunk-appinspect (python-magic) needs it to tell file types in a TA; without it
# every validation in a container would fail.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libmagic1 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --create-home --shell /usr/sbin/nologin tagen
COPY --from=build /opt/tagen /opt/tagen
ENV PATH=/opt/tagen/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
USER 10001
ENTRYPOINT ["tagen"]
