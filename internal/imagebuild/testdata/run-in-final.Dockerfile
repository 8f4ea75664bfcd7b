FROM gcr.io/distroless/static-debian12:nonroot
RUN echo hi
