# The headcount binary in a minimal image, for docker-compose.yml's headcount service:
#   docker build -t headcount . && docker run --rm headcount --help
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/headcount ./cmd/headcount

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/headcount /usr/local/bin/headcount
ENTRYPOINT ["/usr/local/bin/headcount"]
CMD ["run"]
