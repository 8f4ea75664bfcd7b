FROM gcr.io/distroless/static-debian12:nonroot
CMD /app --serve
