FROM gcr.io/distroless/static-debian12:nonroot
ENTRYPOINT /app --serve
