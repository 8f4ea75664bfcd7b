# syntax=docker/dockerfile:1
ARG BASE=gcr.io/distroless/static-debian12:nonroot
FROM golang:1.26 AS build
RUN go build -o /out/app ./cmd/app

FROM ${BASE} AS app
ARG VERSION=dev
LABEL org.opencontainers.image.version=${VERSION} team="probes"
ENV GREETING=hello MODE=${VERSION}
WORKDIR /srv
WORKDIR data
COPY --from=build /out/app /app
COPY --from=build --chmod=0500 --chown=65532:65532 /out/tool /out/other /bin/
USER 65532:65532
EXPOSE 8080 7946/UDP 8080/tcp
CMD ["--serve"]
ENTRYPOINT ["/app"]

FROM app AS debug
ENV MODE=debug
ENTRYPOINT ["/app", "--debug"]
