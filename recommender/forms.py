from __future__ import annotations

from django import forms

from recommender.models import ListenerSettings


class ListenerSettingsForm(forms.ModelForm):
    """The listener's controls; the source shares must add up to 100 so the ratio means what it says."""

    class Meta:
        model = ListenerSettings
        fields = (
            "mood_strategy",
            "share_artists",
            "share_cooccurrence",
            "share_popular",
            "allow_explicit",
            "alpha_emotion",
            "beta_recent",
            "gamma_top",
            "temperature",
        )
        labels = {
            "share_artists": "Artists you listen to (%)",
            "share_cooccurrence": "Played alongside your tracks (%)",
            "share_popular": "Popular picks (%)",
            "alpha_emotion": "Weight of the mood (α)",
            "beta_recent": "Weight of your recent plays (β)",
            "gamma_top": "Weight of your favourites (γ)",
            "temperature": "Variety (0 = always the best fits)",
        }
        widgets = {"mood_strategy": forms.RadioSelect}

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        shares = [data.get(name) or 0 for name in ("share_artists", "share_cooccurrence", "share_popular")]
        if sum(shares) != 100:
            raise forms.ValidationError(
                f"The three shares must add up to 100 (they add up to {sum(shares)})."
            )
        for name in ("alpha_emotion", "beta_recent", "gamma_top"):
            value = data.get(name)
            if value is not None and not 0 <= value <= 10:
                self.add_error(name, "Use a weight between 0 and 10, or leave it blank for the default.")
        temperature = data.get("temperature")
        if temperature is not None and not 0 <= temperature <= 2:
            self.add_error("temperature", "Use a value between 0 and 2, or leave it blank.")
        return data


class TasteForm(forms.Form):
    """Tell the recommender something directly: "more jazz", "no more Drake", "nothing explicit"."""

    kind = forms.ChoiceField(
        choices=[("artist", "Artist"), ("genre", "Genre"), ("mood", "Mood"), ("constraint", "Rule")]
    )
    value = forms.CharField(max_length=200, strip=True)
    liked = forms.TypedChoiceField(
        choices=[("1", "more of this"), ("0", "no more of this")], coerce=lambda value: value == "1"
    )
